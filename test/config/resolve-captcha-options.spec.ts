import { Agent, Dispatcher, ProxyAgent } from 'undici';
import { Logger } from '@nestjs/common';
import {
  CAPTCHA_OPTION_DEFAULTS,
  CaptchaConfigError,
  type CaptchaModuleOptions,
  captchaOptionsFromEnv,
  resolveCaptchaOptions,
} from '../../lib/config';

import {
  DEV,
  fakeRedisClient,
  fakeStore,
  HMAC_ACCEPTED,
  HMAC_KEY,
  linesOf,
  optionsError,
  REDIS_URL,
  REDIS_URL_ACCEPTED,
  SECRET,
  STORE_ACCEPTED,
  TURNSTILE,
} from './config-helpers';

describe('resolveCaptchaOptions', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  describe('defaults', () => {
    it('fills every default', () => {
      const resolved = resolveCaptchaOptions({ altcha: { hmacKey: HMAC_KEY } }, DEV);
      expect(resolved).toEqual({
        provider: 'altcha',
        timeoutMs: 3000,
        failureMode: 'closed',
        minScore: 0.5,
        minScoreByAction: {},
        expectedHostnames: [],
        trustProxy: false,
        ipv6Prefix: 64,
        store: 'memory',
        storeFailureMode: 'closed',
        circuitBreaker: { threshold: 5, halfOpenAfterMs: 30_000 },
        altcha: {
          hmacKey: HMAC_KEY,
          algorithm: 'SHA-256',
          cost: 1,
          counter: [10_000, 60_000],
          expiresInSeconds: 300,
          challengePath: '/captcha/challenge',
        },
      });
      expect(warn).not.toHaveBeenCalled();
    });

    it('defaults the cost to 1000 for PBKDF2', () => {
      const resolved = resolveCaptchaOptions(
        { altcha: { hmacKey: HMAC_KEY, algorithm: 'PBKDF2/SHA-512' } },
        DEV,
      );
      expect(resolved.altcha.cost).toBe(1000);
    });

    it('keeps given values and passes other options through', () => {
      const store = fakeStore();
      const tokenExtractor = () => undefined;
      const skipIf = () => false;
      const secretKey = async () => SECRET;
      const auditSink = { emit: () => undefined };
      const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
      const fallback = {
        provider: 'hcaptcha' as const,
        siteKey: 'hc-site',
        secretKey: async () => SECRET,
        verifyUrl: 'https://hcaptcha-proxy.example.com/siteverify',
      };
      const resolved = resolveCaptchaOptions(
        {
          provider: 'recaptcha',
          siteKey: '6Lc-site',
          secretKey,
          verifyUrl: 'http://127.0.0.1:9999/siteverify',
          timeoutMs: 100,
          failureMode: 'fallback',
          fallback,
          circuitBreaker: { threshold: 1, halfOpenAfterMs: 3_600_000 },
          auditSink,
          dispatcher,
          minScore: 0,
          minScoreByAction: { checkout: 0.7, 'sign-up': 1 },
          expectedHostnames: ['Example.COM', 'localhost'],
          maxTokenAgeSeconds: 120,
          trustProxy: 'loopback, 10.0.0.0/8',
          store,
          memory: { maxEntries: 500 },
          redis: { keyPrefix: 'app:captcha:', commandTimeoutMs: 250 },
          storeFailureMode: 'open',
          tokenExtractor,
          skipIf,
          environment: 'production',
          altcha: {
            hmacKey: HMAC_KEY,
            algorithm: 'PBKDF2/SHA-256',
            cost: 5000,
            counter: [1, 2 ** 32 - 1],
            expiresInSeconds: 10,
            challengePath: false,
          },
        },
        DEV,
      );
      expect(resolved).toEqual({
        provider: 'recaptcha',
        siteKey: '6Lc-site',
        secretKey,
        verifyUrl: 'http://127.0.0.1:9999/siteverify',
        timeoutMs: 100,
        failureMode: 'fallback',
        fallback,
        circuitBreaker: { threshold: 1, halfOpenAfterMs: 3_600_000 },
        auditSink,
        dispatcher,
        minScore: 0,
        minScoreByAction: { checkout: 0.7, 'sign-up': 1 },
        expectedHostnames: ['example.com', 'localhost'],
        maxTokenAgeSeconds: 120,
        trustProxy: ['loopback', '10.0.0.0/8'],
        ipv6Prefix: 64,
        store,
        memory: { maxEntries: 500 },
        redis: { keyPrefix: 'app:captcha:', commandTimeoutMs: 250 },
        storeFailureMode: 'open',
        tokenExtractor,
        skipIf,
        environment: 'production',
        altcha: {
          hmacKey: HMAC_KEY,
          algorithm: 'PBKDF2/SHA-256',
          cost: 5000,
          counter: [1, 2 ** 32 - 1],
          expiresInSeconds: 10,
          challengePath: false,
        },
      });
      expect(resolved.store).toBe(store);
      expect(resolved.fallback).toBe(fallback);
      expect(resolved.auditSink).toBe(auditSink);
      expect(resolved.dispatcher).toBe(dispatcher);
    });

    it('has the circuit breaker defaults, and never hands out the defaults object', () => {
      expect(CAPTCHA_OPTION_DEFAULTS.circuitBreaker).toEqual({
        threshold: 5,
        halfOpenAfterMs: 30_000,
      });
      const resolved = resolveCaptchaOptions(TURNSTILE, DEV);
      expect(resolved.circuitBreaker).toEqual(CAPTCHA_OPTION_DEFAULTS.circuitBreaker);
      expect(resolved.circuitBreaker).not.toBe(CAPTCHA_OPTION_DEFAULTS.circuitBreaker);
    });

    it.each<[CaptchaModuleOptions['circuitBreaker'], unknown]>([
      [false, false],
      [{}, { threshold: 5, halfOpenAfterMs: 30_000 }],
      [{ threshold: 3 }, { threshold: 3, halfOpenAfterMs: 30_000 }],
      [{ halfOpenAfterMs: 100 }, { threshold: 5, halfOpenAfterMs: 100 }],
      [
        { threshold: 1000, halfOpenAfterMs: 60_000 },
        { threshold: 1000, halfOpenAfterMs: 60_000 },
      ],
    ])('resolves circuitBreaker %j', (circuitBreaker, expected) => {
      expect(resolveCaptchaOptions({ ...TURNSTILE, circuitBreaker }, DEV).circuitBreaker).toEqual(
        expected,
      );
    });

    it.each(['closed', 'open'] as const)(
      'accepts a fallback with failureMode %s, for routes that choose fallback themselves',
      (failureMode) => {
        for (const fallback of [{ provider: 'altcha' as const }, { method: 'email_otp' }]) {
          const resolved = resolveCaptchaOptions({ ...TURNSTILE, failureMode, fallback }, DEV);
          expect(resolved).toMatchObject({ failureMode, fallback });
        }
      },
    );

    it.each(['a', 'sms_otp', 'otp2', `m${'_'.repeat(63)}`])(
      'accepts the fallback method %s',
      (method) => {
        const resolved = resolveCaptchaOptions(
          { ...TURNSTILE, failureMode: 'fallback', fallback: { method } },
          DEV,
        );
        expect(resolved.fallback).toEqual({ method });
      },
    );

    it('accepts ALTCHA as the fallback without keys, and a keyed fallback with its keys', () => {
      expect(
        resolveCaptchaOptions(
          { ...TURNSTILE, failureMode: 'fallback', fallback: { provider: 'altcha' } },
          DEV,
        ).fallback,
      ).toEqual({ provider: 'altcha' });
      const fallback = { provider: 'turnstile' as const, siteKey: 'ts-site', secretKey: SECRET };
      expect(
        resolveCaptchaOptions(
          { altcha: { hmacKey: HMAC_KEY }, failureMode: 'fallback', fallback },
          DEV,
        ).fallback,
      ).toEqual(fallback);
    });

    it('accepts audit sinks and dispatchers of any class', () => {
      class Sink {
        emit() {}
      }
      class Recorder extends Dispatcher {
        override dispatch(): boolean {
          return false;
        }
      }
      const auditSink = new Sink();
      const proxy = new ProxyAgent('http://127.0.0.1:3128');
      const resolved = resolveCaptchaOptions({ ...TURNSTILE, auditSink, dispatcher: proxy }, DEV);
      expect(resolved.auditSink).toBe(auditSink);
      expect(resolved.dispatcher).toBe(proxy);
      const recorder = new Recorder();
      expect(resolveCaptchaOptions({ ...TURNSTILE, dispatcher: recorder }, DEV).dispatcher).toBe(
        recorder,
      );
    });

    it.each<[CaptchaModuleOptions['trustProxy'], unknown]>([
      [true, true],
      [false, false],
      [0, 0],
      [3, 3],
      ['127.0.0.1', ['127.0.0.1']],
      [
        ['loopback', 'fc00::/7'],
        ['loopback', 'fc00::/7'],
      ],
      [[], []],
    ])('accepts trustProxy %j', (trustProxy, expected) => {
      expect(resolveCaptchaOptions({ ...TURNSTILE, trustProxy }, DEV).trustProxy).toEqual(expected);
    });

    it('accepts a class instance as the store', () => {
      class Store {
        increment = async () => 1;
        async decrement() {
          return 0;
        }
        async count() {
          return 0;
        }
        async reset() {}
        async claim() {
          return true;
        }
        async release() {}
      }
      const store = new Store();
      expect(resolveCaptchaOptions({ ...TURNSTILE, store }, DEV).store).toBe(store);
    });

    it.each(['memory', 'redis'] as const)('keeps store %j', (store) => {
      const resolved = resolveCaptchaOptions(
        { ...TURNSTILE, store, redis: { url: 'redis://localhost:6379' } },
        DEV,
      );
      expect(resolved.store).toBe(store);
    });

    it('accepts the Redis store with a URL and every setting at its limits', () => {
      for (const [keyPrefix, commandTimeoutMs] of [
        ['x', 10],
        ['p'.repeat(64), 10_000],
      ] as const) {
        const redis = { url: REDIS_URL, keyPrefix, commandTimeoutMs };
        const resolved = resolveCaptchaOptions({ ...TURNSTILE, store: 'redis', redis }, DEV);
        expect(resolved).toMatchObject({ store: 'redis', storeFailureMode: 'closed', redis });
      }
    });

    it.each(['redis://localhost', 'redis://:pw@10.0.0.5:6379/2', 'rediss://[::1]:6380'])(
      'accepts redis.url %s',
      (url) => {
        expect(
          resolveCaptchaOptions({ ...TURNSTILE, store: 'redis', redis: { url } }, DEV).redis,
        ).toEqual({ url });
      },
    );

    it('accepts the Redis store with a client of your own, passed through as it is', () => {
      const client = fakeRedisClient();
      const resolved = resolveCaptchaOptions(
        { ...TURNSTILE, store: 'redis', redis: { client } },
        DEV,
      );
      expect(resolved.redis?.client).toBe(client);
    });

    it.each([100, 10_000_000])('accepts memory.maxEntries %d', (maxEntries) => {
      expect(resolveCaptchaOptions({ ...TURNSTILE, memory: { maxEntries } }, DEV).memory).toEqual({
        maxEntries,
      });
    });

    it.each([1, 10_000_000])('accepts memory.maxClaims %d', (maxClaims) => {
      expect(resolveCaptchaOptions({ ...TURNSTILE, memory: { maxClaims } }, DEV).memory).toEqual({
        maxClaims,
      });
    });

    it('does not change the options it was given', () => {
      const options: CaptchaModuleOptions = { ...TURNSTILE, expectedHostnames: ['A.example'] };
      const copy = structuredClone(options);
      resolveCaptchaOptions(options, DEV);
      expect(options).toEqual(copy);
    });

    it('treats missing options as empty', () => {
      const resolved = resolveCaptchaOptions(undefined as unknown as CaptchaModuleOptions, DEV);
      expect(resolved.provider).toBe('altcha');
    });

    it('resolves what captchaOptionsFromEnv builds', () => {
      const options = captchaOptionsFromEnv({
        get: (key) =>
          ({
            ...TURNSTILE,
            CAPTCHA_PROVIDER: 'hcaptcha',
            CAPTCHA_SITE_KEY: 's',
            CAPTCHA_SECRET_KEY: SECRET,
            CAPTCHA_STORE: 'redis',
            CAPTCHA_REDIS_URL: REDIS_URL,
          })[key],
      });
      expect(resolveCaptchaOptions(options, DEV)).toMatchObject({
        provider: 'hcaptcha',
        siteKey: 's',
        secretKey: SECRET,
        timeoutMs: 3000,
        store: 'redis',
        redis: { url: REDIS_URL },
        storeFailureMode: 'closed',
      });
    });

    it('resolves a fallback from the environment: ALTCHA or a method as they are', () => {
      const vars: Record<string, string> = {
        CAPTCHA_PROVIDER: 'turnstile',
        CAPTCHA_SITE_KEY: 's',
        CAPTCHA_SECRET_KEY: SECRET,
        CAPTCHA_FAILURE_MODE: 'fallback',
      };
      for (const [name, fallback] of [
        ['CAPTCHA_FALLBACK_PROVIDER', { provider: 'altcha' }],
        ['CAPTCHA_FALLBACK_METHOD', { method: 'email_otp' }],
      ] as const) {
        const value = Object.values(fallback)[0];
        const options = captchaOptionsFromEnv({ get: (key) => ({ ...vars, [name]: value })[key] });
        expect(resolveCaptchaOptions(options, DEV)).toMatchObject({
          failureMode: 'fallback',
          fallback,
        });
      }
    });

    it('asks for the keys of a keyed fallback provider from the environment', () => {
      const options = captchaOptionsFromEnv({
        get: (key) =>
          ({ CAPTCHA_FAILURE_MODE: 'fallback', CAPTCHA_FALLBACK_PROVIDER: 'hcaptcha' })[key],
      });
      expect(linesOf(optionsError(options))).toEqual([
        'options.fallback.secretKey: not set, but fallback provider "hcaptcha" requires it (no environment variable sets it); accepted: the secret key issued by hcaptcha, as a string or a function returning it',
        'options.fallback.siteKey: not set, but fallback provider "hcaptcha" requires it (no environment variable sets it); accepted: the site key issued by hcaptcha',
      ]);
      const withKeys: CaptchaModuleOptions = {
        ...options,
        fallback: { provider: 'hcaptcha', siteKey: 'hc-site', secretKey: () => SECRET },
      };
      expect(resolveCaptchaOptions(withKeys, DEV).fallback).toEqual(withKeys.fallback);
    });
  });

  describe('provider-specific options', () => {
    it('accepts recaptcha-enterprise with a project id, and passes it on', () => {
      const resolved = resolveCaptchaOptions(
        { ...TURNSTILE, provider: 'recaptcha-enterprise', projectId: 'example.com:my-project' },
        DEV,
      );
      expect(resolved).toMatchObject({
        provider: 'recaptcha-enterprise',
        projectId: 'example.com:my-project',
      });
    });

    it('accepts friendly-captcha with either API version', () => {
      for (const friendlyCaptchaVersion of [1, 2] as const) {
        const options = {
          ...TURNSTILE,
          provider: 'friendly-captcha' as const,
          friendlyCaptchaVersion,
        };
        expect(resolveCaptchaOptions(options, DEV).friendlyCaptchaVersion).toBe(
          friendlyCaptchaVersion,
        );
      }
    });

    it('passes captchala settings on as they are', () => {
      const captchala = {
        acceptDegraded: true,
        acceptClientTokens: false,
        backupUrl: 'http://127.0.0.1:4010/api/validate',
        issueUrl: 'http://127.0.0.1:4010/v1/server/challenge/issue',
        issueEncoding: 'form' as const,
        challengePath: '/captcha/captchala',
        tokenLifetimeSeconds: 300,
        maxTokenLength: 2048,
        errorCodes: { app_disabled: 'misconfigured' as const },
      };
      const resolved = resolveCaptchaOptions(
        { ...TURNSTILE, provider: 'captchala', captchala },
        DEV,
      );
      expect(resolved.captchala).toEqual(captchala);
    });
  });

  describe('ALTCHA HMAC key', () => {
    it('uses a random 32-byte key for the process outside production, with a warning', () => {
      const first = resolveCaptchaOptions({}, DEV);
      expect(first.altcha.hmacKey).toMatch(/^[0-9a-f]{64}$/);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toContain('no ALTCHA HMAC key set');
      expect(warn.mock.calls[0][0]).toContain(
        'challenges will not survive restarts or work across instances',
      );
      expect(resolveCaptchaOptions({ provider: 'altcha' }, {}).altcha.hmacKey).toBe(
        first.altcha.hmacKey,
      );
    });

    it('refuses to start without one when NODE_ENV is production', () => {
      expect(linesOf(optionsError({}, { nodeEnv: 'production' }))).toEqual([
        'options.altcha.hmacKey (CAPTCHA_ALTCHA_HMAC_KEY): not set, but provider "altcha" requires it in production (NODE_ENV=production); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
      ]);
      expect(warn).not.toHaveBeenCalled();
    });

    it('refuses to start without one when the environment is production', () => {
      expect(linesOf(optionsError({ environment: 'production' }))).toEqual([
        'options.altcha.hmacKey (CAPTCHA_ALTCHA_HMAC_KEY): not set, but provider "altcha" requires it in production (environment "production"); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
      ]);
    });

    it('reads NODE_ENV from the process when no env is given', () => {
      const saved = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        expect(() => resolveCaptchaOptions({})).toThrow(CaptchaConfigError);
      } finally {
        process.env.NODE_ENV = saved;
      }
    });

    it('accepts a key, or a function resolving one, in production', () => {
      const hmacKey = () => HMAC_KEY;
      const prod = { nodeEnv: 'production' };
      expect(resolveCaptchaOptions({ altcha: { hmacKey } }, prod).altcha.hmacKey).toBe(hmacKey);
      expect(resolveCaptchaOptions({ altcha: { hmacKey: HMAC_KEY } }, prod).altcha.hmacKey).toBe(
        HMAC_KEY,
      );
      expect(warn).not.toHaveBeenCalled();
    });

    it('requires one in production when ALTCHA is the fallback provider', () => {
      expect(
        linesOf(
          optionsError(
            { ...TURNSTILE, failureMode: 'fallback', fallback: { provider: 'altcha' } },
            { nodeEnv: 'production' },
          ),
        ),
      ).toEqual([
        `options.altcha.hmacKey (CAPTCHA_ALTCHA_HMAC_KEY): not set, but fallback provider "altcha" (options.fallback.provider) requires it in production (NODE_ENV=production); accepted: ${HMAC_ACCEPTED}`,
      ]);
    });

    it('warns when ALTCHA is the fallback provider and has no key outside production', () => {
      resolveCaptchaOptions({ ...TURNSTILE, fallback: { provider: 'altcha' } }, DEV);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toContain('no ALTCHA HMAC key set');
    });

    it('fills a key silently for other providers, even in production', () => {
      const resolved = resolveCaptchaOptions(TURNSTILE, { nodeEnv: 'production' });
      expect(resolved.altcha.hmacKey).toMatch(/^[0-9a-f]{64}$/);
      expect(warn).not.toHaveBeenCalled();
    });
  });

  describe('bad options: one clear line naming the option, the problem and what is accepted', () => {
    it('refuses options that are not an object', () => {
      expect(linesOf(optionsError('turnstile'))).toEqual([
        'options: "turnstile" is not an object; accepted: an object of CaptchaModuleOptions',
      ]);
    });

    it('reports every problem together', () => {
      const error = optionsError({
        provider: 'recaptcha',
        timeoutMs: -5,
        minScore: 2,
        expectedHostnames: ['a b'],
        altcha: { counter: [2, 1] },
      });
      expect(error.problems.map((line) => line.slice(0, line.search(/[: ]/)))).toEqual([
        'options.siteKey',
        'options.secretKey',
        'options.timeoutMs',
        'options.minScore',
        'options.expectedHostnames',
        'options.altcha.counter',
      ]);
      expect(error.message.split('\n')).toHaveLength(7);
      expect(warn).not.toHaveBeenCalled();
    });

    it('reports both missing keys of a keyed fallback provider', () => {
      expect(
        optionsError({ ...TURNSTILE, failureMode: 'fallback', fallback: { provider: 'hcaptcha' } })
          .problems,
      ).toEqual([
        'options.fallback.secretKey: not set, but fallback provider "hcaptcha" requires it (no environment variable sets it); accepted: the secret key issued by hcaptcha, as a string or a function returning it',
        'options.fallback.siteKey: not set, but fallback provider "hcaptcha" requires it (no environment variable sets it); accepted: the site key issued by hcaptcha',
      ]);
    });

    it('no longer says the fallback failure mode arrives later', () => {
      expect(optionsError({ failureMode: 'fallback' }).message).not.toMatch(/not available|later/);
    });

    it('masks a password in a fallback verifyUrl', () => {
      const error = optionsError({
        fallback: {
          provider: 'hcaptcha',
          siteKey: 'k',
          secretKey: 'x',
          verifyUrl: `ftp://u:${SECRET}@proxy/v`,
        },
      });
      expect(error.message).toContain('"ftp://u:***@proxy/v"');
      expect(error.message).not.toContain(SECRET);
    });

    it('masks a password in verifyUrl', () => {
      const error = optionsError({ verifyUrl: `ftp://user:${SECRET}@proxy/verify` });
      expect(error.message).toContain('"ftp://user:***@proxy/verify"');
      expect(error.message).not.toContain(SECRET);
    });
  });

  describe('secrets never appear in a message', () => {
    it('hides a Redis URL given as the store, and shows other store names', () => {
      expect(linesOf(optionsError({ store: REDIS_URL }))).toEqual([
        `options.store: the value (hidden) is not a store; accepted: ${STORE_ACCEPTED}`,
      ]);
      expect(linesOf(optionsError({ store: 'redis-cluster' }))[0]).toContain('"redis-cluster"');
    });

    it('names the Redis URL option and says its value is hidden', () => {
      const error = optionsError({ store: 'redis', redis: { url: `http://u:${SECRET}@cache` } });
      expect(error.problems).toEqual([
        `options.redis.url: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
      ]);
    });

    it.each<[string, unknown]>([
      ['a secret key with a space', { ...TURNSTILE, secretKey: `${SECRET} ` }],
      ['a secret key with a line break', { ...TURNSTILE, secretKey: `${SECRET}\n` }],
      ['a secret key of the wrong type', { ...TURNSTILE, secretKey: [SECRET] }],
      ['a short HMAC key', { altcha: { hmacKey: 'SUPERSECRET' } }],
      ['an HMAC key with a space', { altcha: { hmacKey: `${SECRET} ${SECRET}` } }],
      [
        'good secrets next to a bad value',
        { ...TURNSTILE, timeoutMs: 0, altcha: { hmacKey: `${SECRET}_hmac` } },
      ],
      ['a Redis URL with another scheme', { redis: { url: `http://default:${SECRET}@cache` } }],
      ['a Redis URL without a host', { store: 'redis', redis: { url: `redis://:${SECRET}@` } }],
      ['a Redis URL that does not parse', { redis: { url: `redis://u:${SECRET}@[bad` } }],
      ['a Redis URL with a bad port', { redis: { url: `redis://u:${SECRET}@cache:99999` } }],
      [
        'a good Redis URL next to bad Redis settings',
        { store: 'redis', redis: { url: REDIS_URL, keyPrefix: '', commandTimeoutMs: 0 } },
      ],
      [
        'a good Redis URL next to a client',
        { store: 'redis', redis: { url: REDIS_URL, client: fakeRedisClient() } },
      ],
      ['a Redis URL given as the store', { store: REDIS_URL }],
      ['a Redis URL given as the store, with spaces', { store: ` ${REDIS_URL}` }],
      ['a Redis URL given as redis', { store: 'redis', redis: REDIS_URL }],
      ['a Redis URL given as the client', { store: 'redis', redis: { client: REDIS_URL } }],
      [
        'a fallback secret key with a space',
        { fallback: { provider: 'hcaptcha', siteKey: 'k', secretKey: `${SECRET} ` } },
      ],
      [
        'a fallback secret key of the wrong type',
        { fallback: { provider: 'hcaptcha', siteKey: 'k', secretKey: [SECRET] } },
      ],
      ['a fallback secret key with a method', { fallback: { method: 'otp', secretKey: SECRET } }],
      [
        'a good fallback secret key next to a bad fallback provider',
        { fallback: { provider: 'captcha-king', siteKey: 'k', secretKey: SECRET } },
      ],
      [
        'a good fallback secret key without its site key',
        { ...TURNSTILE, fallback: { provider: 'hcaptcha', secretKey: SECRET } },
      ],
      [
        'a good fallback secret key next to bad circuit settings',
        {
          ...TURNSTILE,
          fallback: { provider: 'hcaptcha', siteKey: 'k', secretKey: SECRET },
          circuitBreaker: { threshold: 0 },
        },
      ],
    ])('%s', (_case, options) => {
      const error = optionsError(options);
      for (const text of [error.message, String(error), error.stack ?? '', ...error.problems]) {
        expect(text).not.toContain('SUPERSECRET');
      }
    });
  });
});

describe('observability options', () => {
  it.each([
    [
      'metrics',
      { metrics: 'statsd' },
      /options\.metrics: "statsd" is not a metrics backend; accepted: 'auto', 'prometheus', 'opentelemetry', 'both' or false/,
    ],
    [
      'metricsRegistry',
      { metricsRegistry: {} },
      /options\.metricsRegistry: .* is not a prom-client Registry/,
    ],
    [
      'logDecisions',
      { logDecisions: 'yes' },
      /options\.logDecisions: "yes" is not a boolean; accepted: true or false/,
    ],
    [
      'outageLogIntervalMs',
      { outageLogIntervalMs: 50 },
      /options\.outageLogIntervalMs: 50 is out of range; accepted: an integer from 100 to 3600000 \(milliseconds\)/,
    ],
    [
      'outageLogIntervalMs',
      { outageLogIntervalMs: '10s' },
      /options\.outageLogIntervalMs: "10s" is not a whole number; accepted: an integer from 100 to 3600000/,
    ],
  ])('refuses a bad %s', (_name, options, message) => {
    expect(() =>
      resolveCaptchaOptions({ altcha: { hmacKey: 'k'.repeat(32) }, ...(options as object) }),
    ).toThrow(message);
  });

  it('accepts the documented values', () => {
    for (const metrics of ['auto', 'prometheus', 'opentelemetry', 'both', false] as const) {
      expect(
        resolveCaptchaOptions({ altcha: { hmacKey: 'k'.repeat(32) }, metrics, logDecisions: false })
          .metrics,
      ).toBe(metrics);
    }
    const hmac = { altcha: { hmacKey: 'k'.repeat(32) } };
    expect(
      resolveCaptchaOptions({ ...hmac, outageLogIntervalMs: 60_000 }).outageLogIntervalMs,
    ).toBe(60_000);
    expect(resolveCaptchaOptions(hmac).outageLogIntervalMs).toBeUndefined(); // 10 s, in the outage log
  });
});

describe('resolveCaptchaOptions: clientIpHeader and ipv6Prefix', () => {
  const HEADER_ACCEPTED =
    'a client-IP header name, case-insensitive: cf-connecting-ip, x-real-ip, true-client-ip, fastly-client-ip, x-client-ip';
  const PREFIX_ACCEPTED =
    'an integer from 32 to 128 (IPv6 prefix length; 128 = every address alone)';

  it.each<[unknown, string]>([
    ['cf-connecting-ip', 'cf-connecting-ip'],
    ['CF-Connecting-IP', 'cf-connecting-ip'],
    [' X-REAL-IP ', 'x-real-ip'],
    ['True-Client-IP', 'true-client-ip'],
    ['fastly-client-ip', 'fastly-client-ip'],
    ['x-client-ip', 'x-client-ip'],
  ])('accepts clientIpHeader %j with a trustProxy, in lower case', (clientIpHeader, expected) => {
    const resolved = resolveCaptchaOptions(
      { ...TURNSTILE, trustProxy: 'loopback', clientIpHeader } as CaptchaModuleOptions,
      DEV,
    );
    expect(resolved.clientIpHeader).toBe(expected);
  });

  it('leaves clientIpHeader unset by default: no vendor header is read', () => {
    expect(resolveCaptchaOptions(TURNSTILE, DEV).clientIpHeader).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown header',
      'x-forwarded-for',
      `options.clientIpHeader: "x-forwarded-for" is not a supported client-IP header; accepted: ${HEADER_ACCEPTED}`,
    ],
    [
      'Forwarded',
      'forwarded',
      `options.clientIpHeader: "forwarded" is not a supported client-IP header; accepted: ${HEADER_ACCEPTED}`,
    ],
    ['a number', 7, `options.clientIpHeader: 7 is not a string; accepted: ${HEADER_ACCEPTED}`],
  ])('refuses %s as clientIpHeader', (_name, clientIpHeader, line) => {
    expect(linesOf(optionsError({ ...TURNSTILE, trustProxy: 'loopback', clientIpHeader }))).toEqual(
      [line],
    );
  });

  it.each<[string, unknown, string]>([
    ['unset', undefined, 'not set'],
    ['false', false, 'false'],
    ['0', 0, '0'],
    ['an empty list', [], '[]'],
  ])(
    'refuses a clientIpHeader with trustProxy %s: it could never be read',
    (_name, trustProxy, shown) => {
      expect(
        linesOf(optionsError({ ...TURNSTILE, trustProxy, clientIpHeader: 'cf-connecting-ip' })),
      ).toEqual([
        `options.clientIpHeader (CAPTCHA_CLIENT_IP_HEADER): "cf-connecting-ip" is set, but trustProxy (CAPTCHA_TRUST_PROXY) is ${shown} and trusts no proxy, so the header would never be read; ` +
          'accepted: trustProxy set to the proxies that write the header (e.g. their addresses or CIDR ranges, or loopback), or no clientIpHeader',
      ]);
    },
  );

  it.each([32, 48, 56, 64, 96, 128])('accepts ipv6Prefix %d', (ipv6Prefix) => {
    expect(resolveCaptchaOptions({ ...TURNSTILE, ipv6Prefix }, DEV).ipv6Prefix).toBe(ipv6Prefix);
  });

  it.each<[unknown, string]>([
    [31, 'is out of range'],
    [129, 'is out of range'],
    [0, 'is out of range'],
    [64.5, 'is not a whole number'],
    ['64', 'is not a whole number'],
    [Number.NaN, 'is not a whole number'],
  ])('refuses ipv6Prefix %j', (ipv6Prefix, problem) => {
    expect(linesOf(optionsError({ ...TURNSTILE, ipv6Prefix }))).toEqual([
      `options.ipv6Prefix: ${typeof ipv6Prefix === 'string' ? JSON.stringify(ipv6Prefix) : String(ipv6Prefix)} ${problem}; accepted: ${PREFIX_ACCEPTED}`,
    ]);
  });
});
