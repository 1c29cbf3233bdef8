import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CAPTCHA_METRIC_NAMES } from '../../lib/contracts/captcha-metric-names';

const run = promisify(execFile);
const MONITORING = join(__dirname, '../../docs/monitoring');
const RULES = join(MONITORING, 'captcha-rules.yml');
const RULE_TESTS = join(MONITORING, 'captcha-rules.test.yml');
/** Being built beside this kit (clearance, issue 17); the rules are written against its name. */
const CLEARANCES = 'captcha_clearances_total';

const rulesText = readFileSync(RULES, 'utf8');
const testsText = readFileSync(RULE_TESTS, 'utf8');
const alertNames = [...rulesText.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
const recordNames = [...rulesText.matchAll(/^\s+- record: (\S+)$/gm)].map((m) => m[1]);

/** Runs Debian's promtool (prometheus package; installed by .ci/run and ensure-test-deps.sh). */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: MONITORING, timeout: 60_000 });
    return stdout + stderr;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${failed.stdout}${failed.stderr}`);
  }
}

describe('docs/monitoring/captcha-rules.yml', () => {
  it('passes promtool check rules', async () => {
    const out = await promtool('check', 'rules', RULES);
    expect(recordNames.length).toBeGreaterThan(0);
    expect(out).toContain(`SUCCESS: ${alertNames.length + recordNames.length} rules found`);
  });

  it('passes its promtool unit tests (promtool test rules)', async () => {
    const out = await promtool('test', 'rules', RULE_TESTS);
    expect(out).toMatch(/SUCCESS/);
    expect(out).not.toMatch(/FAILED/);
  }, 60_000);

  it('has the alerts the kit promises', () => {
    expect(alertNames.sort()).toEqual([
      'CaptchaClearanceForged',
      'CaptchaClearanceRejections',
      'CaptchaInvalidSurge',
      'CaptchaProviderCircuitOpen',
      'CaptchaProviderMisconfigured',
      'CaptchaProviderUnavailable',
      'CaptchaReplaySpike',
      'CaptchaRequiredSurge',
      'CaptchaScoreDrift',
      'CaptchaStoreClaimsRefused',
      'CaptchaStoreCountersEvicted',
      'CaptchaStoreUnavailable',
      'CaptchaVerificationLatencyHigh',
    ]);
  });

  it.each(alertNames)('%s has a unit test where it fires and one where it stays quiet', (name) => {
    const checks = [
      ...testsText.matchAll(/alertname: (\w+)\n\s+exp_alerts:( \[\])?\n(\s+- exp_labels)?/g),
    ].filter((m) => m[1] === name);
    expect(checks.some((m) => m[2] === undefined && m[3] !== undefined)).toBe(true);
    expect(checks.some((m) => m[2] === ' []')).toBe(true);
  });

  it.each(alertNames)('%s has a runbook naming causes and the doctor command', (name) => {
    const rule = rulesText.split(/^\s+- alert: /m).find((part) => part.startsWith(`${name}\n`))!;
    const runbook = /runbook: (['"])(.*?)\1\n/s.exec(rule)?.[2] ?? '';
    expect(runbook).toMatch(/^Likely causes: /);
    expect(runbook).toContain('`npx nestjs-captcha doctor`');
    expect(rule).toMatch(/severity: (page|warning)/);
  });

  it('uses only the metric names of the contract', () => {
    const known = new Set<string>([...Object.values(CAPTCHA_METRIC_NAMES), CLEARANCES]);
    // The expressions only: annotations name metrics in prose too.
    const expressions = [...rulesText.matchAll(/expr: (?:\|\n)?((?:.+\n)+?)\s+(?:for|labels|- )/g)]
      .map((m) => m[1].replace(/#.*$/gm, ''))
      .join('\n');
    const used = new Set(
      [...expressions.matchAll(/\b(captcha_[a-z0-9_:]+?)(?:_bucket)?(?=[{[)\s])/g)].map(
        (m) => m[1],
      ),
    );
    const recorded = new Set([...rulesText.matchAll(/record: (\S+)/g)].map((m) => m[1]));
    const unknown = [...used].filter((name) => !known.has(name) && !recorded.has(name));
    expect(unknown).toEqual([]);
    expect(used).toContain(CAPTCHA_METRIC_NAMES.verifications);
    expect(used).toContain(CAPTCHA_METRIC_NAMES.circuitOpen);
    expect(used).toContain(CLEARANCES);
  });
});
