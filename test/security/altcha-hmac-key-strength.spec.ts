import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CaptchaConfigError, captchaOptionsFromEnv, resolveCaptchaOptions } from 'nestjs-captcha';
import { runDoctor } from '../../lib/cli/doctor';
import { formatDoctorReport, formatDoctorReportJson } from '../../lib/cli/doctor-report';

/**
 * Attack: forge ALTCHA challenges. Whoever knows the HMAC key signs challenges of their own (a
 * counter of 1) and solves none of the proof of work. A placeholder left in the env file
 * (`changeme…`, `altcha-hmac-key…`, `aaaa…`) is the first thing an attacker who read the README
 * tries. One minimum everywhere (32 characters) and, in production, a strength check.
 */

const PROD = { nodeEnv: 'production' };
const DEV = {};

/** Placeholder and patterned keys, all 32+ characters (the length rule alone lets them through). */
const WEAK_KEYS = [
  'a'.repeat(64),
  'changeme'.repeat(4),
  'altcha-hmac-key-please-change-me',
  'secretsecretsecretsecretsecret12',
  'P@ssw0rd-P@ssw0rd-P@ssw0rd-12345',
  'abcdefghijklmnopqrstuvwxyz012345',
  '0123456789abcdef0123456789abcdef',
  'my-super-secret-hmac-key-for-prod',
  'test-altcha-hmac-key-0123456789abcdef',
  'xyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxy',
];

const strongKey = () => randomBytes(24).toString('base64url');

function configError(fn: () => unknown): CaptchaConfigError | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof CaptchaConfigError) return error;
    throw error;
  }
}

describe('ALTCHA HMAC key: one minimum (32 characters) everywhere', () => {
  it('refuses a 31-character random key and accepts a 32-character one, in any environment', () => {
    const short = randomBytes(32).toString('hex').slice(0, 31);
    const exact = randomBytes(32).toString('hex').slice(0, 32);
    for (const env of [DEV, PROD]) {
      const error = configError(() => resolveCaptchaOptions({ altcha: { hmacKey: short } }, env));
      expect(error?.message).toMatch(
        /options\.altcha\.hmacKey: the value \(hidden\) is too short; accepted: a random secret of at least 32 characters/,
      );
      expect(error?.message).not.toContain(short);
      expect(resolveCaptchaOptions({ altcha: { hmacKey: exact } }, env).altcha.hmacKey).toBe(exact);
    }
    const fromEnv = configError(() =>
      captchaOptionsFromEnv({ get: (key) => ({ CAPTCHA_ALTCHA_HMAC_KEY: short })[key] }),
    );
    expect(fromEnv?.message).toMatch(
      /CAPTCHA_ALTCHA_HMAC_KEY: the value \(hidden\) is too short; accepted: a random secret of at least 32 characters/,
    );
  });
});

describe('ALTCHA HMAC key strength in production', () => {
  it(`refuses ${WEAK_KEYS.length} of ${WEAK_KEYS.length} placeholder/patterned keys at start-up (before: 0), never echoing them`, () => {
    const started: string[] = [];
    for (const key of WEAK_KEYS) {
      const error = configError(() => resolveCaptchaOptions({ altcha: { hmacKey: key } }, PROD));
      if (!error) {
        started.push(key);
        continue;
      }
      expect(error.message).toMatch(
        /options\.altcha\.hmacKey \(CAPTCHA_ALTCHA_HMAC_KEY\): the value \(hidden\) is a weak key \(.+\), refused in production \(NODE_ENV=production\)/,
      );
      expect(error.message).not.toContain(key);
      const fromEnv = configError(() =>
        captchaOptionsFromEnv({
          get: (name) => ({ CAPTCHA_ALTCHA_HMAC_KEY: key, CAPTCHA_ENV: ' Production ' })[name],
        }),
      );
      expect(fromEnv?.message).toMatch(
        /CAPTCHA_ALTCHA_HMAC_KEY: the value \(hidden\) is a weak key/,
      );
      expect(fromEnv?.message).not.toContain(key);
    }
    expect(started).toEqual([]);
  });

  it('accepts 500 of 500 random keys (hex and base64, 32+ characters)', () => {
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const key = i % 2 === 0 ? randomBytes(16).toString('hex') : strongKey();
      if (configError(() => resolveCaptchaOptions({ altcha: { hmacKey: key } }, PROD))) refused++;
    }
    expect(refused).toBe(0);
  });

  it('outside production a weak key starts, with a warning that does not quote it', () => {
    const warnings: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    try {
      const key = 'changeme'.repeat(4);
      expect(resolveCaptchaOptions({ altcha: { hmacKey: key } }, DEV).altcha.hmacKey).toBe(key);
      expect(warnings.some((w) => /HMAC key .* is weak .*refused in production/.test(w))).toBe(
        true,
      );
      expect(warnings.join('\n')).not.toContain(key);
    } finally {
      warn.mockRestore();
    }
  });

  it("the dev default (a random key per process, the sample's) is strong", () => {
    const resolved = resolveCaptchaOptions({ provider: 'altcha' }, DEV);
    expect(resolved.altcha.hmacKey).toMatch(/^[0-9a-f]{64}$/);
    expect(
      configError(() =>
        resolveCaptchaOptions({ altcha: { hmacKey: resolved.altcha.hmacKey } }, PROD),
      ),
    ).toBeUndefined();
  });

  it('doctor: a weak key is a warning outside production and a configuration failure in production', async () => {
    const key = 'altcha-hmac-key-please-change-me';
    const dev = await runDoctor({ CAPTCHA_ALTCHA_HMAC_KEY: key });
    expect(dev.checks.find((c) => c.name === 'altcha-hmac-key')).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('weak'),
    });
    const prod = await runDoctor({ CAPTCHA_ALTCHA_HMAC_KEY: key, NODE_ENV: 'Production' });
    expect(prod.exitCode).toBe(2);
    expect(prod.checks[0].message).toMatch(
      /CAPTCHA_ALTCHA_HMAC_KEY: the value \(hidden\) is a weak key/,
    );
    for (const report of [dev, prod]) {
      for (const output of [formatDoctorReport(report), formatDoctorReportJson(report)]) {
        expect(output).not.toContain(key);
      }
    }
    const strong = await runDoctor({
      CAPTCHA_ALTCHA_HMAC_KEY: strongKey(),
      CAPTCHA_ENV: 'production',
    });
    expect(strong.exitCode).toBe(0);
    expect(strong.checks.find((c) => c.name === 'altcha-hmac-key')?.status).toBe('pass');
  });
});
