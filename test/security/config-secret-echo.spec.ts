import {
  CaptchaConfigError,
  captchaOptionsFromEnv,
  resolveCaptchaOptions,
  type CaptchaModuleOptions,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { runDoctor } from '../../lib/cli/doctor';
import { formatDoctorReport, formatDoctorReportJson } from '../../lib/cli/doctor-report';

/**
 * Attack: read the secrets of a deployment from its start-up errors. A verify URL often carries
 * an API key in its query (`?api_key=`, `?token=`, `?key=`) or a password in its user info; a
 * config error that quotes the URL puts that secret into CI logs, crash reports and support
 * tickets. Every URL echoed by a config error or by `doctor` must have those parts masked.
 */

const SECRET = 'Sup3rS3cretQueryValue9137';
const PASSWORD = 'UserinfoPassw0rd4711';
const TOKEN = 'LoneUserTokenAbcdef0815';

/** URLs the rules refuse (not http/https), each carrying secrets where URLs carry them. */
const BAD_URLS = [
  `ftp://proxy.example/siteverify?api_key=${SECRET}`,
  `ftp://proxy.example/siteverify?region=eu&token=${SECRET}#frag`,
  `ftp://proxy.example/siteverify?secret=${encodeURIComponent(SECRET)}&x=1`,
  `ftp://user:${PASSWORD}@proxy.example/siteverify?key=${SECRET}`,
  `ftp://${TOKEN}@proxy.example/siteverify`,
  `not a url at all ?password=${SECRET}`,
];

const TURNSTILE: CaptchaModuleOptions = {
  provider: 'turnstile',
  siteKey: FakeCaptchaServer.siteKeys.turnstile,
  secretKey: FakeCaptchaServer.secrets.turnstile,
};

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CaptchaConfigError);
    return (error as Error).message;
  }
  throw new Error('no configuration error was thrown');
}

function expectMasked(text: string) {
  for (const secret of [SECRET, encodeURIComponent(SECRET), PASSWORD, TOKEN]) {
    expect(text).not.toContain(secret);
  }
}

/** Where a URL is echoed by a config error: [label, message for a given URL]. */
const SITES: [string, (url: string) => string][] = [
  [
    'CAPTCHA_VERIFY_URL',
    (url) =>
      messageOf(() =>
        captchaOptionsFromEnv({
          get: (key) => ({ CAPTCHA_PROVIDER: 'altcha', CAPTCHA_VERIFY_URL: url })[key],
        }),
      ),
  ],
  [
    'options.verifyUrl',
    (url) => messageOf(() => resolveCaptchaOptions({ ...TURNSTILE, verifyUrl: url }, {})),
  ],
  [
    'options.fallback.verifyUrl',
    (url) =>
      messageOf(() =>
        resolveCaptchaOptions(
          { ...TURNSTILE, fallback: { provider: 'altcha', verifyUrl: url } },
          {},
        ),
      ),
  ],
  [
    'options.fallback.verifyUrl set with a method',
    (url) =>
      messageOf(() =>
        resolveCaptchaOptions(
          { ...TURNSTILE, fallback: { method: 'email_otp', verifyUrl: url } as never },
          {},
        ),
      ),
  ],
  [
    'options.providers[0].verifyUrl',
    (url) =>
      messageOf(() =>
        resolveCaptchaOptions(
          {
            ...TURNSTILE,
            providers: [
              {
                provider: 'hcaptcha',
                siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
                secretKey: FakeCaptchaServer.secrets.hcaptcha,
                verifyUrl: url,
              },
            ],
          },
          {},
        ),
      ),
  ],
  [
    'options.captchala.backupUrl',
    (url) =>
      messageOf(() => resolveCaptchaOptions({ ...TURNSTILE, captchala: { backupUrl: url } }, {})),
  ],
  [
    'options.captchala.issueUrl',
    (url) =>
      messageOf(() => resolveCaptchaOptions({ ...TURNSTILE, captchala: { issueUrl: url } }, {})),
  ],
  [
    'CAPTCHA_REDIS_URL',
    (url) =>
      messageOf(() =>
        captchaOptionsFromEnv({
          get: (key) => ({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: url })[key],
        }),
      ),
  ],
];

describe('secrets in URLs are masked in config errors', () => {
  it.each(SITES)(
    `%s: 0 of ${BAD_URLS.length} URLs leak a secret (before: 6 of 6, except the hidden CAPTCHA_REDIS_URL; providers[].verifyUrl was not checked)`,
    (label, messageFor) => {
      const leaked: string[] = [];
      for (const url of BAD_URLS) {
        const message = messageFor(url);
        // The error still points at the setting.
        expect(message).toContain(label.split(' ')[0].replace(/^options\./, ''));
        if (
          [SECRET, encodeURIComponent(SECRET), PASSWORD, TOKEN].some((s) => message.includes(s))
        ) {
          leaked.push(url);
        }
      }
      expect(leaked).toEqual([]);
    },
  );

  it('keeps what helps: scheme, host, path and the query names', () => {
    const message = messageOf(() =>
      resolveCaptchaOptions(
        {
          ...TURNSTILE,
          verifyUrl: `ftp://u:${PASSWORD}@proxy.example/v?api_key=${SECRET}&region=eu`,
        },
        {},
      ),
    );
    expect(message).toContain('"ftp://u:***@proxy.example/v?api_key=***&region=***"');
    expectMasked(message);
  });
});

describe('secrets in URLs are masked in doctor output', () => {
  let fake: FakeCaptchaServer;

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
  });
  afterAll(() => fake.close());

  it('a bad CAPTCHA_VERIFY_URL with a query secret: the report never shows it', async () => {
    const report = await runDoctor({
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.turnstile,
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile,
      CAPTCHA_VERIFY_URL: `ftp://user:${PASSWORD}@proxy.example/siteverify?api_key=${SECRET}`,
    });
    expect(report.exitCode).toBe(2);
    for (const output of [formatDoctorReport(report), formatDoctorReportJson(report)]) {
      expectMasked(output);
      expect(output).toContain('CAPTCHA_VERIFY_URL');
    }
  });

  it('a working CAPTCHA_VERIFY_URL with a query secret: the report never shows it', async () => {
    const report = await runDoctor({
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.turnstile,
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile,
      CAPTCHA_VERIFY_URL: `${fake.verifyUrl('turnstile')}?api_key=${SECRET}`,
    });
    expect(report.checks.find((c) => c.name === 'configuration')?.status).toBe('pass');
    for (const output of [formatDoctorReport(report), formatDoctorReportJson(report)]) {
      expectMasked(output);
    }
  });

  it('an unreachable CAPTCHA_VERIFY_URL with secrets: the failure names no secret', async () => {
    const report = await runDoctor({
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.turnstile,
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile,
      CAPTCHA_VERIFY_URL: `http://${TOKEN}@127.0.0.1:9/siteverify?token=${SECRET}`,
      CAPTCHA_TIMEOUT_MS: '300',
    });
    expect(report.checks.find((c) => c.name === 'provider')?.status).toBe('fail');
    for (const output of [formatDoctorReport(report), formatDoctorReportJson(report)]) {
      expectMasked(output);
    }
  });
});
