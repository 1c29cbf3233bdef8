import { ConfigService } from '@nestjs/config';
import { CaptchaConfigError, captchaOptionsFromEnv, resolveCaptchaOptions } from '../../lib/config';

const SECRET = 'sk_live_SUPERSECRET123';

function fromEnv(vars: Record<string, unknown>) {
  return captchaOptionsFromEnv({ get: (key) => vars[key] });
}

function errorFrom(vars: Record<string, unknown>): CaptchaConfigError {
  try {
    fromEnv(vars);
  } catch (error) {
    expect(error).toBeInstanceOf(CaptchaConfigError);
    return error as CaptchaConfigError;
  }
  throw new Error('expected a CaptchaConfigError');
}

/** The message's problem lines (after the heading). */
function linesOf(error: CaptchaConfigError): string[] {
  return error.message.split('\n').slice(1);
}

const REDIS_URL = `rediss://default:${SECRET}@cache.example.com:6380/0`;
const REDIS_URL_ACCEPTED =
  'a URL like redis://[user:password@]host:6379[/db], or rediss://… for TLS';

const PROJECT_ID_ACCEPTED =
  'the Google Cloud project id of reCAPTCHA Enterprise, e.g. my-project-123 (letters, digits, ".", ":" and "-")';

const PROVIDERS =
  'turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala';

const TURNSTILE = {
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SITE_KEY: '0x4AAAAAAAsite',
  CAPTCHA_SECRET_KEY: SECRET,
};

describe('captchaOptionsFromEnv', () => {
  describe('good values', () => {
    it('defaults to ALTCHA and sets nothing else when no variable is set', () => {
      expect(fromEnv({})).toEqual({ provider: 'altcha' });
      expect(Object.keys(fromEnv({}))).toEqual(['provider']);
    });

    it('reads every option of the contract', () => {
      const options = fromEnv({
        ...TURNSTILE,
        CAPTCHA_VERIFY_URL: 'http://127.0.0.1:4010/siteverify',
        CAPTCHA_TIMEOUT_MS: '2500',
        CAPTCHA_FAILURE_MODE: 'fallback',
        CAPTCHA_FALLBACK_PROVIDER: 'altcha',
        CAPTCHA_MIN_SCORE: '0.7',
        CAPTCHA_EXPECTED_HOSTNAMES: 'Example.com, www.example.com,',
        CAPTCHA_TRUST_PROXY: 'loopback, 10.0.0.0/8',
        CAPTCHA_STORE: 'redis',
        CAPTCHA_REDIS_URL: 'redis://user:pw@localhost:6379/0',
        CAPTCHA_ALTCHA_HMAC_KEY: '4521cc44fdab126595800456cd85411199f842baa2b61cceffd48aabff5525e3',
        CAPTCHA_ENV: 'staging',
      });
      expect(options).toEqual({
        provider: 'turnstile',
        siteKey: '0x4AAAAAAAsite',
        secretKey: SECRET,
        verifyUrl: 'http://127.0.0.1:4010/siteverify',
        timeoutMs: 2500,
        failureMode: 'fallback',
        fallback: { provider: 'altcha' },
        minScore: 0.7,
        expectedHostnames: ['example.com', 'www.example.com'],
        trustProxy: ['loopback', '10.0.0.0/8'],
        store: 'redis',
        redis: { url: 'redis://user:pw@localhost:6379/0' },
        altcha: { hmacKey: '4521cc44fdab126595800456cd85411199f842baa2b61cceffd48aabff5525e3' },
        environment: 'staging',
      });
    });

    it.each(['closed', 'open'] as const)('reads CAPTCHA_FAILURE_MODE=%s', (failureMode) => {
      expect(fromEnv({ CAPTCHA_FAILURE_MODE: failureMode })).toEqual({
        provider: 'altcha',
        failureMode,
      });
    });

    it('reads CAPTCHA_FAILURE_MODE=fallback with a fallback method', () => {
      expect(
        fromEnv({ CAPTCHA_FAILURE_MODE: ' fallback ', CAPTCHA_FALLBACK_METHOD: ' email_otp ' }),
      ).toEqual({ provider: 'altcha', failureMode: 'fallback', fallback: { method: 'email_otp' } });
    });

    it('reads a fallback whatever the failure mode, for routes that choose fallback themselves', () => {
      expect(fromEnv({ ...TURNSTILE, CAPTCHA_FALLBACK_PROVIDER: 'altcha' })).toEqual({
        provider: 'turnstile',
        siteKey: '0x4AAAAAAAsite',
        secretKey: SECRET,
        fallback: { provider: 'altcha' },
      });
      expect(
        fromEnv({ CAPTCHA_FAILURE_MODE: 'closed', CAPTCHA_FALLBACK_METHOD: 'sms_otp' }),
      ).toEqual({ provider: 'altcha', failureMode: 'closed', fallback: { method: 'sms_otp' } });
    });

    it.each(['turnstile', 'recaptcha', 'hcaptcha'])(
      'reads a fallback provider %s that needs keys (added to the options by hand)',
      (fallback) => {
        expect(
          fromEnv({ CAPTCHA_FAILURE_MODE: 'fallback', CAPTCHA_FALLBACK_PROVIDER: fallback }),
        ).toEqual({
          provider: 'altcha',
          failureMode: 'fallback',
          fallback: { provider: fallback },
        });
      },
    );

    it.each(['a', 'otp2', 'email_otp', `m${'_'.repeat(63)}`])(
      'reads CAPTCHA_FALLBACK_METHOD=%s',
      (method) => {
        expect(fromEnv({ CAPTCHA_FALLBACK_METHOD: method }).fallback).toEqual({ method });
      },
    );

    it('refuses a blank fallback variable next to a set one (blank is not unset)', () => {
      expect(
        linesOf(
          errorFrom({
            CAPTCHA_FAILURE_MODE: 'fallback',
            CAPTCHA_FALLBACK_PROVIDER: ' ',
            CAPTCHA_FALLBACK_METHOD: 'email_otp',
          }),
        ),
      ).toEqual([
        `CAPTCHA_FALLBACK_PROVIDER: is set but blank, which is not the same as unset: give it a value or remove it; accepted: ${PROVIDERS}`,
      ]);
    });

    it.each([
      ['true', true],
      ['false', false],
      ['0', 0],
      ['2', 2],
      ['loopback', ['loopback']],
      ['127.0.0.1', ['127.0.0.1']],
      ['loopback,linklocal,uniquelocal', ['loopback', 'linklocal', 'uniquelocal']],
      [
        '10.0.0.0/8, 192.168.0.0/255.255.0.0, ::1, fc00::/7',
        ['10.0.0.0/8', '192.168.0.0/255.255.0.0', '::1', 'fc00::/7'],
      ],
    ])('reads CAPTCHA_TRUST_PROXY=%j', (raw, expected) => {
      expect(fromEnv({ CAPTCHA_TRUST_PROXY: raw }).trustProxy).toEqual(expected);
    });

    it('reads CAPTCHA_STORE=memory, and leaves a Redis URL unused with it', () => {
      expect(fromEnv({ CAPTCHA_STORE: 'memory' })).toEqual({ provider: 'altcha', store: 'memory' });
      expect(fromEnv({ CAPTCHA_STORE: ' memory ', CAPTCHA_REDIS_URL: REDIS_URL })).toEqual({
        provider: 'altcha',
        store: 'memory',
      });
      expect(fromEnv({ CAPTCHA_REDIS_URL: REDIS_URL })).toEqual({ provider: 'altcha' });
    });

    it.each(['redis://localhost', 'redis://:pw@10.0.0.5:6379/2', 'rediss://[::1]:6380', REDIS_URL])(
      'reads CAPTCHA_STORE=redis with CAPTCHA_REDIS_URL=%s',
      (url) => {
        expect(fromEnv({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: ` ${url} ` })).toEqual({
          provider: 'altcha',
          store: 'redis',
          redis: { url },
        });
      },
    );

    it.each([
      ['100', 100],
      ['60000', 60000],
      [' 3000 ', 3000],
    ])('reads CAPTCHA_TIMEOUT_MS=%j', (raw, expected) => {
      expect(fromEnv({ CAPTCHA_TIMEOUT_MS: raw }).timeoutMs).toBe(expected);
    });

    it.each([
      ['0', 0],
      ['1', 1],
      ['0.5', 0.5],
      ['.25', 0.25],
    ])('reads CAPTCHA_MIN_SCORE=%j', (raw, expected) => {
      expect(fromEnv({ CAPTCHA_MIN_SCORE: raw }).minScore).toBe(expected);
    });

    it('reads hostnames, IP addresses and localhost in CAPTCHA_EXPECTED_HOSTNAMES', () => {
      expect(
        fromEnv({ CAPTCHA_EXPECTED_HOSTNAMES: 'localhost,127.0.0.1,A-B.example.co.uk' })
          .expectedHostnames,
      ).toEqual(['localhost', '127.0.0.1', 'a-b.example.co.uk']);
    });

    it.each(['turnstile', 'recaptcha', 'hcaptcha', 'altcha', 'friendly-captcha', 'captchala'])(
      'accepts provider %s',
      (provider) => {
        const keys = provider === 'altcha' ? {} : TURNSTILE;
        expect(fromEnv({ ...keys, CAPTCHA_PROVIDER: provider }).provider).toBe(provider);
      },
    );

    it('reads CAPTCHA_PROJECT_ID for recaptcha-enterprise (a variable beyond the design contract)', () => {
      expect(
        fromEnv({
          ...TURNSTILE,
          CAPTCHA_PROVIDER: 'recaptcha-enterprise',
          CAPTCHA_PROJECT_ID: 'my-project-123',
        }),
      ).toEqual({
        provider: 'recaptcha-enterprise',
        siteKey: '0x4AAAAAAAsite',
        secretKey: SECRET,
        projectId: 'my-project-123',
      });
    });

    it('treats absent (undefined or null) values as unset', () => {
      expect(fromEnv({ CAPTCHA_PROVIDER: undefined, CAPTCHA_TIMEOUT_MS: null })).toEqual({
        provider: 'altcha',
      });
    });

    it('trims values', () => {
      const options = fromEnv({ ...TURNSTILE, CAPTCHA_SECRET_KEY: ` ${SECRET}\n` });
      expect(options.secretKey).toBe(SECRET);
    });

    it('takes numbers and booleans from a typed config', () => {
      expect(
        fromEnv({ CAPTCHA_TIMEOUT_MS: 1500, CAPTCHA_MIN_SCORE: 0.3, CAPTCHA_TRUST_PROXY: true }),
      ).toEqual({ provider: 'altcha', timeoutMs: 1500, minScore: 0.3, trustProxy: true });
    });

    it('works with ConfigService from @nestjs/config', () => {
      const config = new ConfigService({ ...TURNSTILE, CAPTCHA_TIMEOUT_MS: '1200' });
      expect(captchaOptionsFromEnv(config)).toMatchObject({
        provider: 'turnstile',
        timeoutMs: 1200,
      });
    });

    it('accepts ALTCHA without an HMAC key outside production', () => {
      expect(fromEnv({ NODE_ENV: 'development' })).toEqual({ provider: 'altcha' });
    });
  });

  describe('bad values: one clear line naming the variable, the problem and what is accepted', () => {
    it.each<[string, Record<string, string>, string]>([
      [
        'CAPTCHA_PROVIDER unknown',
        { CAPTCHA_PROVIDER: 'captcha-king' },
        'CAPTCHA_PROVIDER: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
      ],
      [
        'CAPTCHA_PROVIDER in another case',
        { CAPTCHA_PROVIDER: 'Turnstile' },
        'CAPTCHA_PROVIDER: "Turnstile" is not a known provider (did you mean "turnstile"?); accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
      ],
      [
        'CAPTCHA_PROVIDER recaptcha-enterprise without CAPTCHA_PROJECT_ID',
        { ...TURNSTILE, CAPTCHA_PROVIDER: 'recaptcha-enterprise' },
        `CAPTCHA_PROJECT_ID: not set, but provider "recaptcha-enterprise" requires it; accepted: ${PROJECT_ID_ACCEPTED}`,
      ],
      [
        'CAPTCHA_FALLBACK_PROVIDER recaptcha-enterprise without CAPTCHA_PROJECT_ID',
        { ...TURNSTILE, CAPTCHA_FALLBACK_PROVIDER: 'recaptcha-enterprise' },
        `CAPTCHA_PROJECT_ID: not set, but fallback provider "recaptcha-enterprise" (CAPTCHA_FALLBACK_PROVIDER) requires it; accepted: ${PROJECT_ID_ACCEPTED}`,
      ],
      [
        'CAPTCHA_PROJECT_ID with a slash',
        { CAPTCHA_PROJECT_ID: 'my-project/assessments' },
        `CAPTCHA_PROJECT_ID: "my-project/assessments" is not a project id; accepted: ${PROJECT_ID_ACCEPTED}`,
      ],
      [
        'CAPTCHA_PROVIDER friendly-captcha without keys',
        { CAPTCHA_PROVIDER: 'friendly-captcha', CAPTCHA_SITE_KEY: 'FCMSITE' },
        'CAPTCHA_SECRET_KEY: not set, but provider "friendly-captcha" requires it; accepted: the secret key issued by friendly-captcha',
      ],
      [
        'CAPTCHA_PROVIDER captchala without keys',
        { CAPTCHA_PROVIDER: 'captchala', CAPTCHA_SECRET_KEY: SECRET },
        'CAPTCHA_SITE_KEY: not set, but provider "captchala" requires it; accepted: the site key issued by captchala',
      ],
      [
        'CAPTCHA_SITE_KEY with a space',
        { ...TURNSTILE, CAPTCHA_SITE_KEY: '0x4AAA AAA' },
        'CAPTCHA_SITE_KEY: "0x4AAA AAA" contains whitespace or control characters; accepted: the site key exactly as the provider issued it, without spaces or line breaks',
      ],
      [
        'CAPTCHA_SITE_KEY missing for turnstile',
        { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET_KEY: SECRET },
        'CAPTCHA_SITE_KEY: not set, but provider "turnstile" requires it; accepted: the site key issued by turnstile',
      ],
      [
        'CAPTCHA_SECRET_KEY with a line break',
        { ...TURNSTILE, CAPTCHA_SECRET_KEY: `${SECRET}\nmore` },
        'CAPTCHA_SECRET_KEY: the value (hidden) contains whitespace or control characters; accepted: the secret key exactly as the provider issued it, without spaces or line breaks',
      ],
      [
        'CAPTCHA_SECRET_KEY missing for recaptcha',
        { CAPTCHA_PROVIDER: 'recaptcha', CAPTCHA_SITE_KEY: '6Lc-site' },
        'CAPTCHA_SECRET_KEY: not set, but provider "recaptcha" requires it; accepted: the secret key issued by recaptcha',
      ],
      [
        'CAPTCHA_VERIFY_URL not a URL',
        { CAPTCHA_VERIFY_URL: 'siteverify' },
        'CAPTCHA_VERIFY_URL: "siteverify" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
      ],
      [
        'CAPTCHA_VERIFY_URL with another scheme',
        { CAPTCHA_VERIFY_URL: 'ftp://127.0.0.1/siteverify' },
        'CAPTCHA_VERIFY_URL: "ftp://127.0.0.1/siteverify" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
      ],
      [
        'CAPTCHA_TIMEOUT_MS not a number',
        { CAPTCHA_TIMEOUT_MS: 'abc' },
        'CAPTCHA_TIMEOUT_MS: "abc" is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
      ],
      [
        'CAPTCHA_TIMEOUT_MS a fraction',
        { CAPTCHA_TIMEOUT_MS: '1500.5' },
        'CAPTCHA_TIMEOUT_MS: "1500.5" is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
      ],
      [
        'CAPTCHA_TIMEOUT_MS too small',
        { CAPTCHA_TIMEOUT_MS: '99' },
        'CAPTCHA_TIMEOUT_MS: "99" is out of range; accepted: an integer from 100 to 60000 (milliseconds)',
      ],
      [
        'CAPTCHA_TIMEOUT_MS too large',
        { CAPTCHA_TIMEOUT_MS: '60001' },
        'CAPTCHA_TIMEOUT_MS: "60001" is out of range; accepted: an integer from 100 to 60000 (milliseconds)',
      ],
      [
        'CAPTCHA_FAILURE_MODE unknown',
        { CAPTCHA_FAILURE_MODE: 'ignore' },
        'CAPTCHA_FAILURE_MODE: "ignore" is not a failure mode; accepted: closed, open, fallback',
      ],
      [
        'CAPTCHA_FAILURE_MODE in another case',
        { CAPTCHA_FAILURE_MODE: 'Fallback', CAPTCHA_FALLBACK_METHOD: 'email_otp' },
        'CAPTCHA_FAILURE_MODE: "Fallback" is not a failure mode (did you mean "fallback"?); accepted: closed, open, fallback',
      ],
      [
        'CAPTCHA_FAILURE_MODE fallback without a fallback',
        { CAPTCHA_FAILURE_MODE: 'fallback' },
        'CAPTCHA_FALLBACK_PROVIDER or CAPTCHA_FALLBACK_METHOD: not set, but CAPTCHA_FAILURE_MODE "fallback" requires it; accepted: CAPTCHA_FALLBACK_PROVIDER set to a provider other than CAPTCHA_PROVIDER (turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala; one that needs keys also needs options.fallback.siteKey and secretKey), or CAPTCHA_FALLBACK_METHOD set to a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
      ],
      [
        'CAPTCHA_FAILURE_MODE fallback with blank fallback variables',
        {
          CAPTCHA_FAILURE_MODE: 'fallback',
          CAPTCHA_FALLBACK_PROVIDER: '',
        },
        `CAPTCHA_FALLBACK_PROVIDER: is set but blank, which is not the same as unset: give it a value or remove it; accepted: ${PROVIDERS}`,
      ],
      [
        'CAPTCHA_FALLBACK_METHOD blank',
        { CAPTCHA_FALLBACK_METHOD: ' ' },
        'CAPTCHA_FALLBACK_METHOD: is set but blank, which is not the same as unset: give it a value or remove it; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
      ],
      [
        'CAPTCHA_FALLBACK_PROVIDER unknown',
        { CAPTCHA_FALLBACK_PROVIDER: 'captcha-king' },
        'CAPTCHA_FALLBACK_PROVIDER: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
      ],
      [
        'CAPTCHA_FALLBACK_PROVIDER the same as CAPTCHA_PROVIDER',
        { ...TURNSTILE, CAPTCHA_FALLBACK_PROVIDER: 'turnstile' },
        'CAPTCHA_FALLBACK_PROVIDER: "turnstile" is the same as the provider (CAPTCHA_PROVIDER); accepted: a provider other than CAPTCHA_PROVIDER: recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
      ],
      [
        'CAPTCHA_FALLBACK_PROVIDER the same as the default provider',
        { CAPTCHA_FAILURE_MODE: 'fallback', CAPTCHA_FALLBACK_PROVIDER: 'altcha' },
        'CAPTCHA_FALLBACK_PROVIDER: "altcha" is the same as the provider (CAPTCHA_PROVIDER, default altcha); accepted: a provider other than CAPTCHA_PROVIDER: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, captchala',
      ],
      [
        'CAPTCHA_FALLBACK_METHOD with capitals and a dash',
        { CAPTCHA_FALLBACK_METHOD: 'Email-OTP' },
        'CAPTCHA_FALLBACK_METHOD: "Email-OTP" is not a method name; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
      ],
      [
        'CAPTCHA_FALLBACK_METHOD starting with a digit',
        { CAPTCHA_FAILURE_MODE: 'fallback', CAPTCHA_FALLBACK_METHOD: '2fa' },
        'CAPTCHA_FALLBACK_METHOD: "2fa" is not a method name; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
      ],
      [
        'CAPTCHA_FALLBACK_METHOD starting with an underscore',
        { CAPTCHA_FALLBACK_METHOD: '_otp' },
        'CAPTCHA_FALLBACK_METHOD: "_otp" is not a method name; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
      ],
      [
        'CAPTCHA_FALLBACK_METHOD too long',
        { CAPTCHA_FALLBACK_METHOD: `m${'x'.repeat(64)}` },
        `CAPTCHA_FALLBACK_METHOD: "m${'x'.repeat(64)}" is not a method name; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp`,
      ],
      [
        'both fallback variables',
        {
          CAPTCHA_FAILURE_MODE: 'fallback',
          CAPTCHA_FALLBACK_PROVIDER: 'hcaptcha',
          CAPTCHA_FALLBACK_METHOD: 'email_otp',
        },
        'CAPTCHA_FALLBACK_METHOD: "email_otp" is set together with CAPTCHA_FALLBACK_PROVIDER; accepted: one of CAPTCHA_FALLBACK_PROVIDER (a second provider) or CAPTCHA_FALLBACK_METHOD (a method of your app), not both',
      ],
      [
        'CAPTCHA_MIN_SCORE not a number',
        { CAPTCHA_MIN_SCORE: 'high' },
        'CAPTCHA_MIN_SCORE: "high" is not a number; accepted: a number from 0 to 1, e.g. 0.5',
      ],
      [
        'CAPTCHA_MIN_SCORE above 1',
        { CAPTCHA_MIN_SCORE: '1.5' },
        'CAPTCHA_MIN_SCORE: "1.5" is out of range; accepted: a number from 0 to 1, e.g. 0.5',
      ],
      [
        'CAPTCHA_MIN_SCORE negative',
        { CAPTCHA_MIN_SCORE: '-0.1' },
        'CAPTCHA_MIN_SCORE: "-0.1" is out of range; accepted: a number from 0 to 1, e.g. 0.5',
      ],
      [
        'CAPTCHA_EXPECTED_HOSTNAMES with a URL and a space',
        { CAPTCHA_EXPECTED_HOSTNAMES: 'example.com,https://www.example.com,exa mple.org' },
        'CAPTCHA_EXPECTED_HOSTNAMES: "example.com,https://www.example.com,exa mple.org" contains invalid hostnames: "https://www.example.com", "exa mple.org"; accepted: a hostname such as example.com (no scheme, port or path)',
      ],
      [
        'CAPTCHA_EXPECTED_HOSTNAMES with a port',
        { CAPTCHA_EXPECTED_HOSTNAMES: 'example.com:8080' },
        'CAPTCHA_EXPECTED_HOSTNAMES: "example.com:8080" contains an invalid hostname: "example.com:8080"; accepted: a hostname such as example.com (no scheme, port or path)',
      ],
      [
        'CAPTCHA_EXPECTED_HOSTNAMES only commas',
        { CAPTCHA_EXPECTED_HOSTNAMES: ' , ,' },
        'CAPTCHA_EXPECTED_HOSTNAMES: ", ," contains no hostname; accepted: a comma-separated list of hostnames, e.g. example.com,www.example.com',
      ],
      [
        'CAPTCHA_TRUST_PROXY a name it does not know',
        { CAPTCHA_TRUST_PROXY: 'yes' },
        'CAPTCHA_TRUST_PROXY: "yes" contains an entry that is not an IP address, CIDR range or proxy name: "yes"; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
      ],
      [
        'CAPTCHA_TRUST_PROXY bad ranges and a number in a list',
        { CAPTCHA_TRUST_PROXY: 'loopback,10.0.0.0/33,1,300.1.1.1' },
        'CAPTCHA_TRUST_PROXY: "loopback,10.0.0.0/33,1,300.1.1.1" contains entries that are not IP addresses, CIDR ranges or proxy names: "10.0.0.0/33", "1", "300.1.1.1"; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
      ],
      [
        'CAPTCHA_TRUST_PROXY a negative hop count',
        { CAPTCHA_TRUST_PROXY: '-1' },
        'CAPTCHA_TRUST_PROXY: "-1" is not a valid hop count; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
      ],
      [
        'CAPTCHA_STORE unknown',
        { CAPTCHA_STORE: 'postgres' },
        'CAPTCHA_STORE: "postgres" is not a store; accepted: memory, redis',
      ],
      [
        'CAPTCHA_STORE in another case',
        { CAPTCHA_STORE: 'Redis', CAPTCHA_REDIS_URL: REDIS_URL },
        'CAPTCHA_STORE: "Redis" is not a store (did you mean "redis"?); accepted: memory, redis',
      ],
      [
        'CAPTCHA_STORE a Redis URL (hidden)',
        { CAPTCHA_STORE: REDIS_URL },
        'CAPTCHA_STORE: the value (hidden) is not a store; accepted: memory, redis',
      ],
      [
        'CAPTCHA_STORE redis without CAPTCHA_REDIS_URL',
        { CAPTCHA_STORE: 'redis' },
        `CAPTCHA_REDIS_URL: not set, but store "redis" (CAPTCHA_STORE) requires it; accepted: ${REDIS_URL_ACCEPTED}`,
      ],
      [
        'CAPTCHA_STORE redis with a blank CAPTCHA_REDIS_URL',
        { CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: '  ' },
        `CAPTCHA_REDIS_URL: is set but blank, which is not the same as unset: give it a value or remove it; accepted: ${REDIS_URL_ACCEPTED}`,
      ],
      [
        'CAPTCHA_STORE redis with a bad CAPTCHA_REDIS_URL',
        { CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: 'cache:6379' },
        `CAPTCHA_REDIS_URL: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
      ],
      [
        'CAPTCHA_REDIS_URL with another scheme',
        { CAPTCHA_REDIS_URL: 'http://localhost:6379' },
        'CAPTCHA_REDIS_URL: the value (hidden) is not a redis:// or rediss:// URL; accepted: a URL like redis://[user:password@]host:6379[/db], or rediss://… for TLS',
      ],
      [
        'CAPTCHA_ALTCHA_HMAC_KEY too short',
        { CAPTCHA_ALTCHA_HMAC_KEY: 'short' },
        'CAPTCHA_ALTCHA_HMAC_KEY: the value (hidden) is too short; accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
      ],
      [
        'CAPTCHA_ALTCHA_HMAC_KEY missing in production (CAPTCHA_ENV)',
        { CAPTCHA_ENV: 'production' },
        'CAPTCHA_ALTCHA_HMAC_KEY: not set, but provider "altcha" requires it in production (CAPTCHA_ENV=production); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
      ],
      [
        'CAPTCHA_ALTCHA_HMAC_KEY missing in production (NODE_ENV)',
        { CAPTCHA_PROVIDER: 'altcha', NODE_ENV: 'production' },
        'CAPTCHA_ALTCHA_HMAC_KEY: not set, but provider "altcha" requires it in production (NODE_ENV=production); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
      ],
      [
        'CAPTCHA_ALTCHA_HMAC_KEY missing in production for an ALTCHA fallback',
        { ...TURNSTILE, CAPTCHA_FALLBACK_PROVIDER: 'altcha', NODE_ENV: 'production' },
        'CAPTCHA_ALTCHA_HMAC_KEY: not set, but fallback provider "altcha" (CAPTCHA_FALLBACK_PROVIDER) requires it in production (NODE_ENV=production); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
      ],
      [
        'CAPTCHA_ENV with a space',
        { CAPTCHA_ENV: 'prod eu' },
        "CAPTCHA_ENV: \"prod eu\" is not an environment name; accepted: a name of letters, digits, '.', '_' and '-' (up to 64 characters), e.g. production",
      ],
    ])('%s', (_case, vars, line) => {
      const error = errorFrom(vars);
      expect(linesOf(error)).toEqual([line]);
      expect(error.problems).toEqual([line]);
      expect(error.message).toBe(`Invalid CAPTCHA configuration:\n${line}`);
      expect(error.name).toBe('CaptchaConfigError');
    });

    it('does not require an HMAC key in production for other providers', () => {
      expect(fromEnv({ ...TURNSTILE, NODE_ENV: 'production' }).provider).toBe('turnstile');
    });

    it('does not ask for keys when the provider itself is bad', () => {
      expect(linesOf(errorFrom({ CAPTCHA_PROVIDER: 'captcha-king' }))).toHaveLength(1);
    });

    it('does not compare the fallback provider with a bad provider', () => {
      expect(
        linesOf(
          errorFrom({
            CAPTCHA_PROVIDER: 'captcha-king',
            CAPTCHA_FALLBACK_PROVIDER: 'captcha-king',
          }),
        ),
      ).toEqual([
        'CAPTCHA_PROVIDER: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
        'CAPTCHA_FALLBACK_PROVIDER: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
      ]);
    });

    it('no longer says the fallback failure mode arrives later', () => {
      const error = errorFrom({ CAPTCHA_FAILURE_MODE: 'fallback' });
      expect(error.message).not.toMatch(/not available|later/);
    });

    it('says a non-text value is not text', () => {
      expect(linesOf(errorFrom({ CAPTCHA_TIMEOUT_MS: { ms: 5 } }))).toEqual([
        'CAPTCHA_TIMEOUT_MS: the value is not text; accepted: a string',
      ]);
    });

    it('keeps a hostile value on one line', () => {
      const error = errorFrom({ CAPTCHA_ENV: 'prod\nCAPTCHA_FAKE: injected' });
      expect(linesOf(error)).toHaveLength(1);
      expect(linesOf(error)[0]).toContain('"prod\\nCAPTCHA_FAKE: injected"');
    });

    it('masks a password in CAPTCHA_VERIFY_URL', () => {
      const error = errorFrom({ CAPTCHA_VERIFY_URL: `ftp://proxy:${SECRET}@127.0.0.1/verify` });
      expect(error.message).toContain('"ftp://proxy:***@127.0.0.1/verify"');
      expect(error.message).not.toContain(SECRET);
    });
  });

  it('reports every problem together, one per line, in the order of the contract', () => {
    const error = errorFrom({
      CAPTCHA_PROVIDER: 'hcaptcha',
      CAPTCHA_MIN_SCORE: '2',
      CAPTCHA_TIMEOUT_MS: 'abc',
      CAPTCHA_STORE: 'redis',
      CAPTCHA_SECRET_KEY: SECRET,
      CAPTCHA_ENV: 'prod eu',
      CAPTCHA_FAILURE_MODE: 'fallback',
    });
    expect(linesOf(error).map((line) => line.slice(0, line.indexOf(':')))).toEqual([
      'CAPTCHA_SITE_KEY',
      'CAPTCHA_TIMEOUT_MS',
      'CAPTCHA_FALLBACK_PROVIDER or CAPTCHA_FALLBACK_METHOD',
      'CAPTCHA_MIN_SCORE',
      'CAPTCHA_REDIS_URL',
      'CAPTCHA_ENV',
    ]);
    expect(error.problems).toHaveLength(6);
    for (const line of linesOf(error))
      expect(line).toMatch(/^CAPTCHA_[A-Z_]+(?: or CAPTCHA_[A-Z_]+)?: .+; accepted: .+$/);
  });

  describe('secrets never appear in a message', () => {
    const secretCases: [string, Record<string, string>][] = [
      ['a secret key with a space', { ...TURNSTILE, CAPTCHA_SECRET_KEY: `${SECRET} x` }],
      [
        'a secret key with a control character',
        { ...TURNSTILE, CAPTCHA_SECRET_KEY: `${SECRET}\u0007` },
      ],
      ['a short HMAC key', { CAPTCHA_ALTCHA_HMAC_KEY: 'SUPERSECRET' }],
      ['an HMAC key with a space', { CAPTCHA_ALTCHA_HMAC_KEY: `${SECRET} ${SECRET}` }],
      [
        'a Redis URL with another scheme',
        { CAPTCHA_REDIS_URL: `http://default:${SECRET}@cache:6379` },
      ],
      ['a Redis URL without a host', { CAPTCHA_REDIS_URL: `redis://default:${SECRET}@` }],
      ['a Redis URL that does not parse', { CAPTCHA_REDIS_URL: `redis://default:${SECRET}@[bad` }],
      [
        'a bad Redis URL with CAPTCHA_STORE=redis',
        { CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: `redis:/default:${SECRET}@cache` },
      ],
      ['a Redis URL put in CAPTCHA_STORE', { CAPTCHA_STORE: REDIS_URL }],
      ['a Redis URL put in CAPTCHA_STORE, by another scheme', { CAPTCHA_STORE: `redis:${SECRET}` }],
      [
        'a good Redis URL with CAPTCHA_STORE=redis next to a bad value',
        { CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: REDIS_URL, CAPTCHA_MIN_SCORE: 'x' },
      ],
      [
        'good secrets next to bad fallback variables',
        {
          ...TURNSTILE,
          CAPTCHA_ALTCHA_HMAC_KEY: `${SECRET}_hmac`,
          CAPTCHA_FAILURE_MODE: 'fallback',
          CAPTCHA_FALLBACK_PROVIDER: 'turnstile',
          CAPTCHA_FALLBACK_METHOD: 'Email',
        },
      ],
      [
        'good secrets with a fallback but neither fallback variable',
        {
          ...TURNSTILE,
          CAPTCHA_ALTCHA_HMAC_KEY: `${SECRET}_hmac`,
          CAPTCHA_FAILURE_MODE: 'fallback',
        },
      ],
      [
        'good secrets next to a bad value',
        {
          ...TURNSTILE,
          CAPTCHA_ALTCHA_HMAC_KEY: `${SECRET}_hmac`,
          CAPTCHA_REDIS_URL: `redis://default:${SECRET}@cache:6379`,
          CAPTCHA_TIMEOUT_MS: 'abc',
        },
      ],
    ];

    it.each(secretCases)('%s', (_case, vars) => {
      const error = errorFrom(vars);
      for (const text of [error.message, String(error), error.stack ?? '', ...error.problems]) {
        expect(text).not.toContain('SUPERSECRET');
      }
    });

    it('names the variable and says the value is hidden', () => {
      const error = errorFrom({ CAPTCHA_REDIS_URL: `http://default:${SECRET}@cache:6379` });
      expect(error.message).toContain('CAPTCHA_REDIS_URL: the value (hidden) is not a redis://');
    });
  });
});

describe('captchaOptionsFromEnv: CAPTCHA_CLIENT_IP_HEADER and CAPTCHA_IPV6_PREFIX', () => {
  it.each([
    ['cf-connecting-ip', 'cf-connecting-ip'],
    ['CF-Connecting-IP', 'cf-connecting-ip'],
    [' x-real-ip ', 'x-real-ip'],
    ['TRUE-CLIENT-IP', 'true-client-ip'],
    ['Fastly-Client-IP', 'fastly-client-ip'],
    ['x-client-ip', 'x-client-ip'],
  ])('reads CAPTCHA_CLIENT_IP_HEADER=%j', (raw, expected) => {
    expect(fromEnv({ CAPTCHA_TRUST_PROXY: 'loopback', CAPTCHA_CLIENT_IP_HEADER: raw })).toEqual({
      provider: 'altcha',
      trustProxy: ['loopback'],
      clientIpHeader: expected,
    });
  });

  it.each([
    ['64', 64],
    ['/56', 56],
    ['48', 48],
    ['128', 128],
    ['32', 32],
  ])('reads CAPTCHA_IPV6_PREFIX=%j', (raw, expected) => {
    expect(fromEnv({ CAPTCHA_IPV6_PREFIX: raw })).toEqual({
      provider: 'altcha',
      ipv6Prefix: expected,
    });
  });

  it.each<[Record<string, string>, string]>([
    [
      { CAPTCHA_CLIENT_IP_HEADER: 'x-forwarded-for' },
      'CAPTCHA_CLIENT_IP_HEADER: "x-forwarded-for" is not a supported client-IP header; accepted: a client-IP header name, case-insensitive: cf-connecting-ip, x-real-ip, true-client-ip, fastly-client-ip, x-client-ip',
    ],
    [
      { CAPTCHA_CLIENT_IP_HEADER: 'cloudflare' },
      'CAPTCHA_CLIENT_IP_HEADER: "cloudflare" is not a supported client-IP header; accepted: a client-IP header name, case-insensitive: cf-connecting-ip, x-real-ip, true-client-ip, fastly-client-ip, x-client-ip',
    ],
    [
      { CAPTCHA_IPV6_PREFIX: '16' },
      'CAPTCHA_IPV6_PREFIX: "16" is out of range; accepted: an integer from 32 to 128 (IPv6 prefix length; 128 = every address alone)',
    ],
    [
      { CAPTCHA_IPV6_PREFIX: '/129' },
      'CAPTCHA_IPV6_PREFIX: "/129" is out of range; accepted: an integer from 32 to 128 (IPv6 prefix length; 128 = every address alone)',
    ],
    [
      { CAPTCHA_IPV6_PREFIX: 'sixty-four' },
      'CAPTCHA_IPV6_PREFIX: "sixty-four" is not a whole number; accepted: an integer from 32 to 128 (IPv6 prefix length; 128 = every address alone)',
    ],
  ])('refuses %j with one clear line', (vars, line) => {
    expect(linesOf(errorFrom(vars))).toEqual([line]);
  });

  it('a header without CAPTCHA_TRUST_PROXY is refused at start-up (by resolveCaptchaOptions), naming both variables', () => {
    // The environment alone does not decide: code may add trustProxy to these options.
    const options = fromEnv({ CAPTCHA_CLIENT_IP_HEADER: 'cf-connecting-ip' });
    expect(options).toEqual({ provider: 'altcha', clientIpHeader: 'cf-connecting-ip' });
    expect(() => resolveCaptchaOptions(options, { nodeEnv: 'development' })).toThrow(
      /options\.clientIpHeader \(CAPTCHA_CLIENT_IP_HEADER\): "cf-connecting-ip" is set, but trustProxy \(CAPTCHA_TRUST_PROXY\) is not set and trusts no proxy/,
    );
    expect(
      resolveCaptchaOptions({ ...options, trustProxy: 'loopback' }, { nodeEnv: 'development' })
        .clientIpHeader,
    ).toBe('cf-connecting-ip');
  });
});
