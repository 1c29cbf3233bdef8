import type { CaptchaCspDirectives } from '../csp/captcha-csp-directives';
import type { DoctorReport, DoctorStatus } from './doctor-check';

const SYMBOLS: Record<DoctorStatus, string> = { pass: '✓', warn: '⚠', fail: '✗' };

/**
 * The report as a readable checklist: one `✓` / `⚠` / `✗` line per check, the CSP sources the
 * widget needs, and a summary line.
 *
 * @example
 * ```text
 * nestjs-captcha doctor: provider turnstile
 * read /app/.env (CAPTCHA_PROVIDER, CAPTCHA_SECRET_KEY, CAPTCHA_SITE_KEY) under the process environment
 *
 * ✓ configuration      CAPTCHA_* variables are valid: provider turnstile, memory store, …
 * ✓ test-keys          the site key and secret are not public test keys
 * ✓ provider           secret accepted: turnstile answered "invalid" (invalid-input-response) …
 *
 * Content-Security-Policy sources the widget needs (add them to your policy):
 *   script-src   https://challenges.cloudflare.com
 *   …
 *
 * OK: 3 passed.
 * ```
 *
 * @internal
 */
export function formatDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  const who = report.provider
    ? `provider ${report.provider}` +
      (report.fallbackProvider ? `, fallback ${report.fallbackProvider}` : '') +
      (report.production ? ' (production)' : '')
    : 'configuration unreadable';
  lines.push(`nestjs-captcha doctor: ${who}`, envFileLine(report), '');

  const width = Math.max(...report.checks.map((check) => check.name.length)) + 2;
  for (const check of report.checks) {
    const [first, ...rest] = check.message.split('\n');
    lines.push(`${SYMBOLS[check.status]} ${check.name.padEnd(width)}${first}`);
    for (const line of rest) lines.push(`${' '.repeat(width + 2)}${line}`);
  }

  if (report.csp && report.provider) {
    lines.push('', ...formatCsp(report.csp, report.provider));
  }

  const count = (status: DoctorStatus) =>
    report.checks.filter((check) => check.status === status).length;
  const summary = [
    `${count('pass')} passed`,
    count('warn') ? `${count('warn')} warning${count('warn') === 1 ? '' : 's'}` : '',
    count('fail') ? `${count('fail')} failed` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const verdict =
    report.exitCode === 0
      ? 'OK'
      : report.exitCode === 2
        ? 'BAD CONFIGURATION (exit code 2)'
        : 'FAILED (exit code 1)';
  lines.push('', `${verdict}: ${summary}.`);
  return `${lines.join('\n')}\n`;
}

/** Which variables came from where; names only. */
function envFileLine(report: DoctorReport): string {
  const file = report.envFile;
  if (!file) return 'read the process environment only (no .env file)';
  const taken = file.variables.length
    ? ` (${file.variables.join(', ')})`
    : ' (no CAPTCHA_* variable)';
  const overridden = file.overridden.length
    ? `; the process environment overrides ${file.overridden.join(', ')}`
    : '';
  return `read ${file.path}${taken} under the process environment${overridden}`;
}

function formatCsp(csp: CaptchaCspDirectives, provider: string): string[] {
  const entries = Object.entries(csp).filter(
    (entry): entry is [string, string[]] => entry[1] !== undefined && entry[1].length > 0,
  );
  if (entries.length === 0) {
    return [
      `Content-Security-Policy: the sources of the ${provider} widget are not documented; add its`,
      `loader's origin with captchaCspDirectives('${provider}', { extra: { 'script-src': [...] } }).`,
    ];
  }
  const width = Math.max(...entries.map(([name]) => name.length)) + 2;
  return [
    'Content-Security-Policy sources the widget needs (add them to your policy, e.g. with',
    'mergeCspDirectives(yourDirectives, captchaCspDirectives(...)) from nestjs-captcha):',
    ...entries.map(([name, sources]) => `  ${name.padEnd(width)}${sources.join(' ')}`),
  ];
}

/**
 * The report as one JSON object, for CI pipelines (`--json`).
 *
 * @internal
 */
export function formatDoctorReportJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
