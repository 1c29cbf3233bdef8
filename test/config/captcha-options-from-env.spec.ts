import { ConfigService } from '@nestjs/config';
import { captchaOptionsFromEnv, resolveCaptchaOptions } from '../../lib/config';

import {
  envError,
  fromEnv,
  linesOf,
  PROVIDERS,
  REDIS_URL,
  SECRET,
  TURNSTILE_ENV,
} from './config-helpers';

describe('captchaOptionsFromEnv', () => {
  describe('good values', () => {
    it('defaults to ALTCHA and sets nothing else when no variable is set', () => {
      expect(fromEnv({})).toEqual({ provider: 'altcha' });
      expect(Object.keys(fromEnv({}))).toEqual(['provider']);
    });

    it('reads every option of the contract', () => {
      const options = fromEnv({
        ...TURNSTILE_ENV,
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
      expect(fromEnv({ ...TURNSTILE_ENV, CAPTCHA_FALLBACK_PROVIDER: 'altcha' })).toEqual({
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
          envError({
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
        const keys = provider === 'altcha' ? {} : TURNSTILE_ENV;
        expect(fromEnv({ ...keys, CAPTCHA_PROVIDER: provider }).provider).toBe(provider);
      },
    );

    it('reads CAPTCHA_PROJECT_ID for recaptcha-enterprise (a variable beyond the design contract)', () => {
      expect(
        fromEnv({
          ...TURNSTILE_ENV,
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
      const options = fromEnv({ ...TURNSTILE_ENV, CAPTCHA_SECRET_KEY: ` ${SECRET}\n` });
      expect(options.secretKey).toBe(SECRET);
    });

    it('takes numbers and booleans from a typed config', () => {
      expect(
        fromEnv({ CAPTCHA_TIMEOUT_MS: 1500, CAPTCHA_MIN_SCORE: 0.3, CAPTCHA_TRUST_PROXY: true }),
      ).toEqual({ provider: 'altcha', timeoutMs: 1500, minScore: 0.3, trustProxy: true });
    });

    it('works with ConfigService from @nestjs/config', () => {
      const config = new ConfigService({ ...TURNSTILE_ENV, CAPTCHA_TIMEOUT_MS: '1200' });
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
    it('does not require an HMAC key in production for other providers', () => {
      expect(fromEnv({ ...TURNSTILE_ENV, NODE_ENV: 'production' }).provider).toBe('turnstile');
    });

    it('does not ask for keys when the provider itself is bad', () => {
      expect(linesOf(envError({ CAPTCHA_PROVIDER: 'captcha-king' }))).toHaveLength(1);
    });

    it('does not compare the fallback provider with a bad provider', () => {
      expect(
        linesOf(
          envError({
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
      const error = envError({ CAPTCHA_FAILURE_MODE: 'fallback' });
      expect(error.message).not.toMatch(/not available|later/);
    });

    it('says a non-text value is not text', () => {
      expect(linesOf(envError({ CAPTCHA_TIMEOUT_MS: { ms: 5 } }))).toEqual([
        'CAPTCHA_TIMEOUT_MS: the value is not text; accepted: a string',
      ]);
    });

    it('keeps a hostile value on one line', () => {
      const error = envError({ CAPTCHA_ENV: 'prod\nCAPTCHA_FAKE: injected' });
      expect(linesOf(error)).toHaveLength(1);
      expect(linesOf(error)[0]).toContain('"prod\\nCAPTCHA_FAKE: injected"');
    });

    it('masks a password in CAPTCHA_VERIFY_URL', () => {
      const error = envError({ CAPTCHA_VERIFY_URL: `ftp://proxy:${SECRET}@127.0.0.1/verify` });
      expect(error.message).toContain('"ftp://proxy:***@127.0.0.1/verify"');
      expect(error.message).not.toContain(SECRET);
    });
  });

  it('reports every problem together, one per line, in the order of the contract', () => {
    const error = envError({
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
      ['a secret key with a space', { ...TURNSTILE_ENV, CAPTCHA_SECRET_KEY: `${SECRET} x` }],
      [
        'a secret key with a control character',
        { ...TURNSTILE_ENV, CAPTCHA_SECRET_KEY: `${SECRET}\u0007` },
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
          ...TURNSTILE_ENV,
          CAPTCHA_ALTCHA_HMAC_KEY: `${SECRET}_hmac`,
          CAPTCHA_FAILURE_MODE: 'fallback',
          CAPTCHA_FALLBACK_PROVIDER: 'turnstile',
          CAPTCHA_FALLBACK_METHOD: 'Email',
        },
      ],
      [
        'good secrets with a fallback but neither fallback variable',
        {
          ...TURNSTILE_ENV,
          CAPTCHA_ALTCHA_HMAC_KEY: `${SECRET}_hmac`,
          CAPTCHA_FAILURE_MODE: 'fallback',
        },
      ],
      [
        'good secrets next to a bad value',
        {
          ...TURNSTILE_ENV,
          CAPTCHA_ALTCHA_HMAC_KEY: `${SECRET}_hmac`,
          CAPTCHA_REDIS_URL: `redis://default:${SECRET}@cache:6379`,
          CAPTCHA_TIMEOUT_MS: 'abc',
        },
      ],
    ];

    it.each(secretCases)('%s', (_case, vars) => {
      const error = envError(vars);
      for (const text of [error.message, String(error), error.stack ?? '', ...error.problems]) {
        expect(text).not.toContain('SUPERSECRET');
      }
    });

    it('names the variable and says the value is hidden', () => {
      const error = envError({ CAPTCHA_REDIS_URL: `http://default:${SECRET}@cache:6379` });
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
    expect(linesOf(envError(vars))).toEqual([line]);
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
