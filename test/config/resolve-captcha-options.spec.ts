import { Agent as HttpAgent } from 'node:http';
import { Agent, Dispatcher, ProxyAgent } from 'undici';
import { Logger } from '@nestjs/common';
import {
  CAPTCHA_OPTION_DEFAULTS,
  CaptchaConfigError,
  type CaptchaModuleOptions,
  captchaOptionsFromEnv,
  resolveCaptchaOptions,
} from '../../lib/config';

const SECRET = 'sk_live_SUPERSECRET123';
const HMAC_KEY = 'e22d5b294ed2122ae8efc389a0b400d2f734cbbf41c2e0ff23ba3f2d0963b471'; // random: placeholder keys are refused in production
const TURNSTILE: CaptchaModuleOptions = {
  provider: 'turnstile',
  siteKey: '0x4AAAAAAAsite',
  secretKey: SECRET,
};
const DEV = { nodeEnv: 'development' };
const REDIS_URL = `rediss://default:${SECRET}@cache.example.com:6380/0`;

/** A store with every method of `CaptchaStore`. */
function fakeStore() {
  return {
    increment: async () => 1,
    decrement: async () => 0,
    count: async () => 0,
    reset: async () => undefined,
    claim: async () => true,
    release: async () => undefined,
  };
}

/** The slice of an ioredis client the Redis store calls. */
function fakeRedisClient() {
  return {
    eval: async () => 1,
    set: async () => 'OK' as const,
    get: async () => null,
    del: async () => 1,
    quit: async () => 'OK',
  };
}

function errorFrom(options: unknown, env: { nodeEnv?: string } = DEV): CaptchaConfigError {
  try {
    resolveCaptchaOptions(options as CaptchaModuleOptions, env);
  } catch (error) {
    expect(error).toBeInstanceOf(CaptchaConfigError);
    return error as CaptchaConfigError;
  }
  throw new Error('expected a CaptchaConfigError');
}

function linesOf(error: CaptchaConfigError): string[] {
  return error.message.split('\n').slice(1);
}

const STORE_ACCEPTED =
  'memory, redis, or a CaptchaStore: an object with the methods increment, decrement, count, reset, claim, release';
const REDIS_URL_ACCEPTED =
  'a URL like redis://[user:password@]host:6379[/db], or rediss://… for TLS';
const REDIS_CLIENT_ACCEPTED =
  'an ioredis Redis or Cluster client (an object with the methods eval, set, get, del)';
const PROJECT_ID_ACCEPTED =
  'the Google Cloud project id of reCAPTCHA Enterprise, e.g. my-project-123 (letters, digits, ".", ":" and "-")';

const FALLBACK_ACCEPTED =
  "{ provider } naming a provider other than options.provider (turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala), with siteKey and secretKey unless it is altcha, or { method } naming a method of your app, e.g. { provider: 'altcha' } or { method: 'email_otp' }";
const METHOD_ACCEPTED =
  'a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp';
const CIRCUIT_ACCEPTED =
  'false (no circuit breaker), or an object { threshold?, halfOpenAfterMs? }, e.g. { threshold: 5, halfOpenAfterMs: 30000 }';
const THRESHOLD_ACCEPTED = 'an integer from 1 to 1000 (consecutive failures)';
const HALF_OPEN_ACCEPTED = 'an integer from 100 to 3600000 (milliseconds)';
const AUDIT_SINK_ACCEPTED =
  'an object with an emit(event) method, e.g. { emit: (event) => log(event) }';
const DISPATCHER_ACCEPTED =
  "an undici Dispatcher, e.g. new Agent({ keepAliveTimeout: 30000 }) or new ProxyAgent('http://proxy:3128')";
const HMAC_ACCEPTED =
  'a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`';
const KEY_PREFIX_ACCEPTED =
  "a non-empty prefix of up to 64 characters without spaces, e.g. 'myapp:captcha:'";

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
      expect(linesOf(errorFrom(options))).toEqual([
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
      expect(linesOf(errorFrom({}, { nodeEnv: 'production' }))).toEqual([
        'options.altcha.hmacKey (CAPTCHA_ALTCHA_HMAC_KEY): not set, but provider "altcha" requires it in production (NODE_ENV=production); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
      ]);
      expect(warn).not.toHaveBeenCalled();
    });

    it('refuses to start without one when the environment is production', () => {
      expect(linesOf(errorFrom({ environment: 'production' }))).toEqual([
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
          errorFrom(
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
    it.each<[string, unknown, string]>([
      [
        'an unknown provider',
        { provider: 'captcha-king' },
        'options.provider: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
      ],
      [
        'recaptcha-enterprise without a project id',
        { provider: 'recaptcha-enterprise', siteKey: 'k', secretKey: SECRET },
        `options.projectId (CAPTCHA_PROJECT_ID): not set, but provider "recaptcha-enterprise" requires it; accepted: ${PROJECT_ID_ACCEPTED}`,
      ],
      [
        'a project id with a slash',
        { ...TURNSTILE, projectId: 'p/q' },
        `options.projectId: "p/q" is not a project id; accepted: ${PROJECT_ID_ACCEPTED}`,
      ],
      [
        'a Friendly Captcha version it does not know',
        { ...TURNSTILE, friendlyCaptchaVersion: 3 },
        'options.friendlyCaptchaVersion: 3 is not a Friendly Captcha API version; accepted: 1 or 2',
      ],
      [
        'captchala settings that are not an object',
        { ...TURNSTILE, captchala: 'yes' },
        'options.captchala: "yes" is not an object; accepted: an object of CaptchaLa settings, e.g. { acceptDegraded: false }',
      ],
      [
        'a captchala flag that is not a boolean',
        { ...TURNSTILE, captchala: { acceptDegraded: 'yes' } },
        'options.captchala.acceptDegraded: "yes" is not a boolean; accepted: true or false',
      ],
      [
        'a captchala backup URL that is not http(s)',
        { ...TURNSTILE, captchala: { backupUrl: 'ftp://backup.example.com' } },
        'options.captchala.backupUrl: "ftp://backup.example.com" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
      ],
      [
        'a captchala issue encoding it does not know',
        { ...TURNSTILE, captchala: { issueEncoding: 'xml' } },
        "options.captchala.issueEncoding: \"xml\" is not an encoding; accepted: 'json' or 'form'",
      ],
      [
        'a captchala challenge path without a slash',
        { ...TURNSTILE, captchala: { challengePath: 'captchala/issue' } },
        "options.captchala.challengePath: \"captchala/issue\" does not start with '/'; accepted: a path starting with '/', e.g. /captcha/challenge, or false to serve none",
      ],
      [
        'a captchala token lifetime out of range',
        { ...TURNSTILE, captchala: { tokenLifetimeSeconds: 1 } },
        'options.captchala.tokenLifetimeSeconds: 1 is out of range; accepted: an integer from 10 to 86400 (seconds)',
      ],
      [
        'a captchala error code with an unknown meaning',
        { ...TURNSTILE, captchala: { errorCodes: { app_disabled: 'broken' } } },
        'options.captchala.errorCodes["app_disabled"]: "broken" is not a meaning; accepted: an object of CaptchaLa failure codes to one of malformed, invalid, expired, duplicate, misconfigured, unavailable, e.g. { app_disabled: \'misconfigured\' }',
      ],
      [
        'a missing secret key',
        { provider: 'turnstile', siteKey: 'k' },
        'options.secretKey (CAPTCHA_SECRET_KEY): not set, but provider "turnstile" requires it; accepted: the secret key issued by turnstile, as a string or a function returning it',
      ],
      [
        'a missing site key',
        { provider: 'hcaptcha', secretKey: SECRET },
        'options.siteKey (CAPTCHA_SITE_KEY): not set, but provider "hcaptcha" requires it; accepted: the site key issued by hcaptcha',
      ],
      [
        'an empty site key',
        { ...TURNSTILE, siteKey: '' },
        'options.siteKey: "" is empty; accepted: the site key exactly as the provider issued it, without spaces or line breaks',
      ],
      [
        'a secret key that is a number',
        { ...TURNSTILE, secretKey: 12345 },
        'options.secretKey: the value (hidden) is not a string or a function; accepted: the secret key exactly as the provider issued it, without spaces or line breaks, or a function returning it',
      ],
      [
        'a bad verify URL',
        { verifyUrl: 'localhost:8080/verify' },
        'options.verifyUrl: "localhost:8080/verify" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
      ],
      [
        'a negative timeout',
        { timeoutMs: -5 },
        'options.timeoutMs: -5 is out of range; accepted: an integer from 100 to 60000 (milliseconds)',
      ],
      [
        'a timeout as a string',
        { timeoutMs: '3000' },
        'options.timeoutMs: "3000" is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
      ],
      [
        'a fractional timeout',
        { timeoutMs: 1500.5 },
        'options.timeoutMs: 1500.5 is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
      ],
      [
        'the fallback failure mode without a fallback',
        { failureMode: 'fallback' },
        `options.fallback (CAPTCHA_FALLBACK_PROVIDER or CAPTCHA_FALLBACK_METHOD): not set, but options.failureMode "fallback" requires it; accepted: ${FALLBACK_ACCEPTED}`,
      ],
      [
        'an unknown failure mode',
        { failureMode: 'lenient' },
        'options.failureMode: "lenient" is not a failure mode; accepted: closed, open, fallback',
      ],
      [
        'a fallback that is a string',
        { failureMode: 'fallback', fallback: 'email_otp' },
        `options.fallback: "email_otp" is not an object; accepted: ${FALLBACK_ACCEPTED}`,
      ],
      [
        'a fallback with both provider and method',
        { failureMode: 'fallback', fallback: { provider: 'hcaptcha', method: 'email_otp' } },
        'options.fallback.method: "email_otp" is set together with options.fallback.provider; accepted: one of options.fallback.provider (a second provider) or options.fallback.method (a method of your app), not both',
      ],
      [
        'a fallback with neither provider nor method',
        { failureMode: 'fallback', fallback: { siteKey: 'k' } },
        `options.fallback: an object sets neither provider nor method; accepted: ${FALLBACK_ACCEPTED}`,
      ],
      [
        'a fallback provider it does not know',
        { ...TURNSTILE, fallback: { provider: 'captcha-king' } },
        'options.fallback.provider: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
      ],
      [
        'a fallback recaptcha-enterprise without a project id',
        {
          ...TURNSTILE,
          fallback: { provider: 'recaptcha-enterprise', siteKey: 'k', secretKey: SECRET },
        },
        `options.projectId (CAPTCHA_PROJECT_ID): not set, but fallback provider "recaptcha-enterprise" (options.fallback.provider) requires it; accepted: ${PROJECT_ID_ACCEPTED}`,
      ],
      [
        'a fallback provider the same as the provider',
        {
          ...TURNSTILE,
          failureMode: 'fallback',
          fallback: { provider: 'turnstile', siteKey: 'k', secretKey: SECRET },
        },
        'options.fallback.provider: "turnstile" is the same as the provider (options.provider); accepted: a provider other than options.provider: recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
      ],
      [
        'a fallback provider the same as the default provider',
        { failureMode: 'fallback', fallback: { provider: 'altcha' } },
        'options.fallback.provider: "altcha" is the same as the provider (options.provider, default altcha); accepted: a provider other than options.provider: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, captchala',
      ],
      [
        'a keyed fallback provider without its secret key',
        { failureMode: 'fallback', fallback: { provider: 'recaptcha', siteKey: 'k' } },
        'options.fallback.secretKey: not set, but fallback provider "recaptcha" requires it (no environment variable sets it); accepted: the secret key issued by recaptcha, as a string or a function returning it',
      ],
      [
        'a keyed fallback provider without its site key, with failureMode open',
        { failureMode: 'open', fallback: { provider: 'turnstile', secretKey: () => SECRET } },
        'options.fallback.siteKey: not set, but fallback provider "turnstile" requires it (no environment variable sets it); accepted: the site key issued by turnstile',
      ],
      [
        'a fallback site key with a space',
        { fallback: { provider: 'hcaptcha', siteKey: 'hc site', secretKey: SECRET } },
        'options.fallback.siteKey: "hc site" contains whitespace or control characters; accepted: the site key exactly as the provider issued it, without spaces or line breaks',
      ],
      [
        'a fallback secret key that is a number',
        { fallback: { provider: 'hcaptcha', siteKey: 'k', secretKey: 42 } },
        'options.fallback.secretKey: the value (hidden) is not a string or a function; accepted: the secret key exactly as the provider issued it, without spaces or line breaks, or a function returning it',
      ],
      [
        'a fallback verify URL with another scheme',
        {
          fallback: {
            provider: 'hcaptcha',
            siteKey: 'k',
            secretKey: SECRET,
            verifyUrl: 'ftp://proxy/verify',
          },
        },
        'options.fallback.verifyUrl: "ftp://proxy/verify" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
      ],
      [
        'a fallback method with capitals',
        { failureMode: 'fallback', fallback: { method: 'EmailOtp' } },
        `options.fallback.method: "EmailOtp" is not a method name; accepted: ${METHOD_ACCEPTED}`,
      ],
      [
        'a fallback method starting with a digit',
        { fallback: { method: '2fa' } },
        `options.fallback.method: "2fa" is not a method name; accepted: ${METHOD_ACCEPTED}`,
      ],
      [
        'a fallback method too long',
        { fallback: { method: `m${'x'.repeat(64)}` } },
        `options.fallback.method: "m${'x'.repeat(64)}" is not a method name; accepted: ${METHOD_ACCEPTED}`,
      ],
      [
        'a fallback method that is not a string',
        { fallback: { method: 7 } },
        `options.fallback.method: 7 is not a string; accepted: ${METHOD_ACCEPTED}`,
      ],
      [
        'a fallback method with a site key',
        { fallback: { method: 'email_otp', siteKey: 'k' } },
        'options.fallback.siteKey: "k" is set with fallback.method; accepted: siteKey, secretKey, verifyUrl only with fallback.provider',
      ],
      [
        'circuitBreaker true',
        { circuitBreaker: true },
        `options.circuitBreaker: true is not an object or false; accepted: ${CIRCUIT_ACCEPTED}`,
      ],
      [
        'circuitBreaker a number',
        { circuitBreaker: 5 },
        `options.circuitBreaker: 5 is not an object or false; accepted: ${CIRCUIT_ACCEPTED}`,
      ],
      [
        'circuitBreaker.threshold 0',
        { circuitBreaker: { threshold: 0 } },
        `options.circuitBreaker.threshold: 0 is out of range; accepted: ${THRESHOLD_ACCEPTED}`,
      ],
      [
        'circuitBreaker.threshold above 1000',
        { circuitBreaker: { threshold: 1001 } },
        `options.circuitBreaker.threshold: 1001 is out of range; accepted: ${THRESHOLD_ACCEPTED}`,
      ],
      [
        'circuitBreaker.threshold a fraction',
        { circuitBreaker: { threshold: 2.5 } },
        `options.circuitBreaker.threshold: 2.5 is not a whole number; accepted: ${THRESHOLD_ACCEPTED}`,
      ],
      [
        'circuitBreaker.threshold a string',
        { circuitBreaker: { threshold: '5' } },
        `options.circuitBreaker.threshold: "5" is not a whole number; accepted: ${THRESHOLD_ACCEPTED}`,
      ],
      [
        'circuitBreaker.halfOpenAfterMs under 100',
        { circuitBreaker: { halfOpenAfterMs: 99 } },
        `options.circuitBreaker.halfOpenAfterMs: 99 is out of range; accepted: ${HALF_OPEN_ACCEPTED}`,
      ],
      [
        'circuitBreaker.halfOpenAfterMs over an hour',
        { circuitBreaker: { threshold: 5, halfOpenAfterMs: 3_600_001 } },
        `options.circuitBreaker.halfOpenAfterMs: 3600001 is out of range; accepted: ${HALF_OPEN_ACCEPTED}`,
      ],
      [
        'circuitBreaker.halfOpenAfterMs infinite',
        { circuitBreaker: { halfOpenAfterMs: Infinity } },
        `options.circuitBreaker.halfOpenAfterMs: Infinity is not a whole number; accepted: ${HALF_OPEN_ACCEPTED}`,
      ],
      [
        'an audit sink that is a function',
        { auditSink: () => undefined },
        `options.auditSink: a function is not an audit sink; accepted: ${AUDIT_SINK_ACCEPTED}`,
      ],
      [
        'an audit sink without emit',
        { auditSink: { log: () => undefined } },
        `options.auditSink: an object is not an audit sink: it lacks emit; accepted: ${AUDIT_SINK_ACCEPTED}`,
      ],
      [
        'an audit sink whose emit is not a function',
        { auditSink: { emit: 'log' } },
        `options.auditSink: an object is not an audit sink: it lacks emit; accepted: ${AUDIT_SINK_ACCEPTED}`,
      ],
      [
        'a dispatcher that is a string',
        { dispatcher: 'keep-alive' },
        `options.dispatcher: "keep-alive" is not a dispatcher; accepted: ${DISPATCHER_ACCEPTED}`,
      ],
      [
        'a node:http Agent as the dispatcher',
        { dispatcher: new HttpAgent() },
        `options.dispatcher: an object is not a dispatcher: it lacks dispatch; accepted: ${DISPATCHER_ACCEPTED}`,
      ],
      [
        'the former httpAgents option',
        { httpAgents: { https: new HttpAgent() } },
        `options.httpAgents: an object is no longer supported (provider calls go through undici); accepted: dispatcher: ${DISPATCHER_ACCEPTED}`,
      ],
      [
        'a min score above 1',
        { minScore: 5 },
        'options.minScore: 5 is out of range; accepted: a number from 0 to 1, e.g. 0.5',
      ],
      [
        'a NaN min score',
        { minScore: NaN },
        'options.minScore: NaN is not a number; accepted: a number from 0 to 1, e.g. 0.5',
      ],
      [
        'a per-action score out of range',
        { minScoreByAction: { checkout: 0.7, 'sign-up': -1 } },
        'options.minScoreByAction["sign-up"]: -1 is out of range; accepted: a number from 0 to 1, e.g. 0.5',
      ],
      [
        'per-action scores that are not an object',
        { minScoreByAction: [0.5] },
        'options.minScoreByAction: [0.5] is not an object; accepted: an object of action names to minimum scores, e.g. { checkout: 0.7 }',
      ],
      [
        'expected hostnames as a string',
        { expectedHostnames: 'example.com' },
        "options.expectedHostnames: \"example.com\" is not an array; accepted: an array of hostnames, e.g. ['example.com', 'www.example.com']",
      ],
      [
        'an expected hostname with a scheme',
        { expectedHostnames: ['example.com', 'https://example.com'] },
        'options.expectedHostnames: ["example.com", "https://example.com"] contains an invalid hostname: "https://example.com"; accepted: a hostname such as example.com (no scheme, port or path)',
      ],
      [
        'a zero max token age',
        { maxTokenAgeSeconds: 0 },
        'options.maxTokenAgeSeconds: 0 is out of range; accepted: an integer from 1 to 86400 (seconds)',
      ],
      [
        'a negative hop count',
        { trustProxy: -1 },
        'options.trustProxy: -1 is not a valid hop count; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
      ],
      [
        'a trust proxy string with a bad entry',
        { trustProxy: 'loopback, proxy.internal' },
        'options.trustProxy: "loopback, proxy.internal" contains an entry that is not an IP address, CIDR range or proxy name: "proxy.internal"; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
      ],
      [
        'a trust proxy list with a bad range',
        { trustProxy: ['10.0.0.0/8', '10.0.0.0/40'] },
        'options.trustProxy[1]: "10.0.0.0/40" is not an IP address, CIDR range or proxy name; accepted: an IP address, a CIDR range (e.g. 10.0.0.0/8) or one of loopback, linklocal, uniquelocal',
      ],
      [
        'a trust proxy object',
        { trustProxy: { trusted: true } },
        'options.trustProxy: an object is not a trust setting; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
      ],
      [
        'a store without the counter methods',
        { store: { claim: async () => true, release: async () => undefined } },
        `options.store: an object is not a CaptchaStore: it lacks increment, decrement, count, reset; accepted: ${STORE_ACCEPTED}`,
      ],
      [
        'a store whose methods are not functions',
        { store: { ...fakeStore(), claim: true } },
        `options.store: an object is not a CaptchaStore: it lacks claim; accepted: ${STORE_ACCEPTED}`,
      ],
      [
        'a store name it does not know',
        { store: 'postgres' },
        `options.store: "postgres" is not a store; accepted: ${STORE_ACCEPTED}`,
      ],
      [
        'a store name in another case',
        { store: 'Redis' },
        `options.store: "Redis" is not a store (did you mean "redis"?); accepted: ${STORE_ACCEPTED}`,
      ],
      [
        'a store that is a number',
        { store: 1 },
        `options.store: 1 is not a store; accepted: ${STORE_ACCEPTED}`,
      ],
      [
        'a store that is a function',
        { store: () => fakeStore() },
        `options.store: a function is not a store; accepted: ${STORE_ACCEPTED}`,
      ],
      [
        'the Redis store without url or client',
        { store: 'redis' },
        `options.redis.url (CAPTCHA_REDIS_URL) or options.redis.client: not set, but store "redis" (options.store) requires it; accepted: ${REDIS_URL_ACCEPTED}, or an ioredis Redis or Cluster client`,
      ],
      [
        'the Redis store with settings but no url or client',
        { store: 'redis', redis: { keyPrefix: 'app:' } },
        `options.redis.url (CAPTCHA_REDIS_URL) or options.redis.client: not set, but store "redis" (options.store) requires it; accepted: ${REDIS_URL_ACCEPTED}, or an ioredis Redis or Cluster client`,
      ],
      [
        'redis not an object',
        { store: 'redis', redis: true },
        "options.redis: true is not an object; accepted: an object of Redis store settings, e.g. { url: 'redis://cache:6379' }",
      ],
      [
        'redis.url with another scheme',
        { redis: { url: 'http://cache:6379' } },
        `options.redis.url: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
      ],
      [
        'redis.url without a host',
        { store: 'redis', redis: { url: 'redis://' } },
        `options.redis.url: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
      ],
      [
        'redis.url empty',
        { store: 'redis', redis: { url: '' } },
        `options.redis.url: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
      ],
      [
        'redis.url not a string',
        { redis: { url: 6379 } },
        `options.redis.url: the value (hidden) is not a string; accepted: ${REDIS_URL_ACCEPTED}`,
      ],
      [
        'redis.client without the commands',
        { store: 'redis', redis: { client: { get: async () => null, quit: async () => 'OK' } } },
        `options.redis.client: an object is not a Redis client: it lacks eval, set, del; accepted: ${REDIS_CLIENT_ACCEPTED}`,
      ],
      [
        'redis.client not an object',
        { store: 'redis', redis: { client: 42 } },
        `options.redis.client: 42 is not a Redis client; accepted: ${REDIS_CLIENT_ACCEPTED}`,
      ],
      [
        'redis with both url and client',
        { store: 'redis', redis: { url: 'redis://cache:6379', client: fakeRedisClient() } },
        'options.redis: an object sets both url and client; accepted: one of url (the store creates and closes its client) or client (yours, never closed by the store)',
      ],
      [
        'redis.keyPrefix empty',
        { redis: { keyPrefix: '' } },
        `options.redis.keyPrefix: "" is empty; accepted: ${KEY_PREFIX_ACCEPTED}`,
      ],
      [
        'redis.keyPrefix with a space',
        { redis: { keyPrefix: 'my app:' } },
        `options.redis.keyPrefix: "my app:" contains whitespace or control characters; accepted: ${KEY_PREFIX_ACCEPTED}`,
      ],
      [
        'redis.keyPrefix too long',
        { redis: { keyPrefix: 'p'.repeat(65) } },
        `options.redis.keyPrefix: "${'p'.repeat(65)}" is too long; accepted: ${KEY_PREFIX_ACCEPTED}`,
      ],
      [
        'redis.keyPrefix not a string',
        { redis: { keyPrefix: ['app'] } },
        `options.redis.keyPrefix: ["app"] is not a string; accepted: ${KEY_PREFIX_ACCEPTED}`,
      ],
      [
        'redis.commandTimeoutMs too small',
        { redis: { commandTimeoutMs: 9 } },
        'options.redis.commandTimeoutMs: 9 is out of range; accepted: an integer from 10 to 10000 (milliseconds)',
      ],
      [
        'redis.commandTimeoutMs too large',
        { redis: { commandTimeoutMs: 10_001 } },
        'options.redis.commandTimeoutMs: 10001 is out of range; accepted: an integer from 10 to 10000 (milliseconds)',
      ],
      [
        'redis.commandTimeoutMs a fraction',
        { redis: { commandTimeoutMs: 50.5 } },
        'options.redis.commandTimeoutMs: 50.5 is not a whole number; accepted: an integer from 10 to 10000 (milliseconds)',
      ],
      [
        'redis.commandTimeoutMs a string',
        { redis: { commandTimeoutMs: '100' } },
        'options.redis.commandTimeoutMs: "100" is not a whole number; accepted: an integer from 10 to 10000 (milliseconds)',
      ],
      [
        'memory not an object',
        { memory: 1000 },
        'options.memory: 1000 is not an object; accepted: an object of memory store settings, e.g. { maxEntries: 100000 }',
      ],
      [
        'memory.maxEntries too small',
        { memory: { maxEntries: 99 } },
        'options.memory.maxEntries: 99 is out of range; accepted: an integer from 100 to 10000000 (entries)',
      ],
      [
        'memory.maxEntries too large',
        { memory: { maxEntries: 10_000_001 } },
        'options.memory.maxEntries: 10000001 is out of range; accepted: an integer from 100 to 10000000 (entries)',
      ],
      [
        'memory.maxEntries infinite',
        { memory: { maxEntries: Infinity } },
        'options.memory.maxEntries: Infinity is not a whole number; accepted: an integer from 100 to 10000000 (entries)',
      ],
      [
        'memory.maxClaims zero',
        { memory: { maxClaims: 0 } },
        'options.memory.maxClaims: 0 is out of range; accepted: an integer from 1 to 10000000 (claims)',
      ],
      [
        'storeFailureMode unknown',
        { storeFailureMode: 'fallback' },
        'options.storeFailureMode: "fallback" is not a store failure mode; accepted: closed, open',
      ],
      [
        'storeFailureMode a boolean',
        { storeFailureMode: true },
        'options.storeFailureMode: true is not a store failure mode; accepted: closed, open',
      ],
      [
        'a token extractor that is not a function',
        { tokenExtractor: 'body.token' },
        'options.tokenExtractor: "body.token" is not a function; accepted: a function (request) => token | undefined',
      ],
      [
        'a skipIf that is not a function',
        { skipIf: true },
        'options.skipIf: true is not a function; accepted: a function (context: ExecutionContext) => boolean | Promise<boolean>',
      ],
      [
        'a bad environment name',
        { environment: 'prod eu' },
        "options.environment: \"prod eu\" is not an environment name; accepted: a name of letters, digits, '.', '_' and '-' (up to 64 characters), e.g. production",
      ],
      [
        'altcha that is not an object',
        { altcha: 'on' },
        'options.altcha: "on" is not an object; accepted: an object of ALTCHA settings, e.g. { hmacKey }',
      ],
      [
        'a short HMAC key',
        { altcha: { hmacKey: 'SUPERSECRET' } },
        'options.altcha.hmacKey: the value (hidden) is too short; accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`, or a function returning it',
      ],
      [
        'an unknown ALTCHA algorithm',
        { altcha: { hmacKey: HMAC_KEY, algorithm: 'MD5' } },
        'options.altcha.algorithm: "MD5" is not a supported algorithm; accepted: SHA-256, SHA-384, SHA-512, PBKDF2/SHA-256, PBKDF2/SHA-384, PBKDF2/SHA-512',
      ],
      [
        'a zero cost',
        { altcha: { hmacKey: HMAC_KEY, cost: 0 } },
        'options.altcha.cost: 0 is out of range; accepted: an integer from 1 to 4294967295 (iterations)',
      ],
      [
        'a fractional cost',
        { altcha: { hmacKey: HMAC_KEY, cost: 1.5 } },
        'options.altcha.cost: 1.5 is not a whole number; accepted: an integer from 1 to 4294967295 (iterations)',
      ],
      [
        'a counter with min above max',
        { altcha: { hmacKey: HMAC_KEY, counter: [60_000, 10_000] } },
        'options.altcha.counter: [60000, 10000] has a min not below its max; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
      ],
      [
        'a counter with min equal to max',
        { altcha: { hmacKey: HMAC_KEY, counter: [5, 5] } },
        'options.altcha.counter: [5, 5] has a min not below its max; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
      ],
      [
        'a counter starting at 0',
        { altcha: { hmacKey: HMAC_KEY, counter: [0, 10] } },
        'options.altcha.counter: [0, 10] is out of range; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
      ],
      [
        'a counter above 2^32-1',
        { altcha: { hmacKey: HMAC_KEY, counter: [1, 2 ** 32] } },
        'options.altcha.counter: [1, 4294967296] is out of range; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
      ],
      [
        'a counter with fractions',
        { altcha: { hmacKey: HMAC_KEY, counter: [1.5, 10] } },
        'options.altcha.counter: [1.5, 10] does not hold two whole numbers; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
      ],
      [
        'a counter of three numbers',
        { altcha: { hmacKey: HMAC_KEY, counter: [1, 2, 3] } },
        'options.altcha.counter: [1, 2, 3] is not a [min, max] pair; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
      ],
      [
        'an expiry under 10 s',
        { altcha: { hmacKey: HMAC_KEY, expiresInSeconds: 5 } },
        'options.altcha.expiresInSeconds: 5 is out of range; accepted: an integer from 10 to 86400 (seconds)',
      ],
      [
        'an expiry over a day',
        { altcha: { hmacKey: HMAC_KEY, expiresInSeconds: 86_401 } },
        'options.altcha.expiresInSeconds: 86401 is out of range; accepted: an integer from 10 to 86400 (seconds)',
      ],
      [
        'a relative challenge path',
        { altcha: { hmacKey: HMAC_KEY, challengePath: 'captcha/challenge' } },
        "options.altcha.challengePath: \"captcha/challenge\" does not start with '/'; accepted: a path starting with '/', e.g. /captcha/challenge, or false to serve none",
      ],
      [
        'a challenge path of true',
        { altcha: { hmacKey: HMAC_KEY, challengePath: true } },
        "options.altcha.challengePath: true is not a path; accepted: a path starting with '/', e.g. /captcha/challenge, or false to serve none",
      ],
    ])('%s', (_case, options, line) => {
      const error = errorFrom(options);
      expect(linesOf(error)).toEqual([line]);
      expect(error.problems).toEqual([line]);
    });

    it('refuses options that are not an object', () => {
      expect(linesOf(errorFrom('turnstile'))).toEqual([
        'options: "turnstile" is not an object; accepted: an object of CaptchaModuleOptions',
      ]);
    });

    it('reports every problem together', () => {
      const error = errorFrom({
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
        errorFrom({ ...TURNSTILE, failureMode: 'fallback', fallback: { provider: 'hcaptcha' } })
          .problems,
      ).toEqual([
        'options.fallback.secretKey: not set, but fallback provider "hcaptcha" requires it (no environment variable sets it); accepted: the secret key issued by hcaptcha, as a string or a function returning it',
        'options.fallback.siteKey: not set, but fallback provider "hcaptcha" requires it (no environment variable sets it); accepted: the site key issued by hcaptcha',
      ]);
    });

    it('no longer says the fallback failure mode arrives later', () => {
      expect(errorFrom({ failureMode: 'fallback' }).message).not.toMatch(/not available|later/);
    });

    it('masks a password in a fallback verifyUrl', () => {
      const error = errorFrom({
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
      const error = errorFrom({ verifyUrl: `ftp://user:${SECRET}@proxy/verify` });
      expect(error.message).toContain('"ftp://user:***@proxy/verify"');
      expect(error.message).not.toContain(SECRET);
    });
  });

  describe('secrets never appear in a message', () => {
    it('hides a Redis URL given as the store, and shows other store names', () => {
      expect(linesOf(errorFrom({ store: REDIS_URL }))).toEqual([
        `options.store: the value (hidden) is not a store; accepted: ${STORE_ACCEPTED}`,
      ]);
      expect(linesOf(errorFrom({ store: 'redis-cluster' }))[0]).toContain('"redis-cluster"');
    });

    it('names the Redis URL option and says its value is hidden', () => {
      const error = errorFrom({ store: 'redis', redis: { url: `http://u:${SECRET}@cache` } });
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
      const error = errorFrom(options);
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
    expect(linesOf(errorFrom({ ...TURNSTILE, trustProxy: 'loopback', clientIpHeader }))).toEqual([
      line,
    ]);
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
        linesOf(errorFrom({ ...TURNSTILE, trustProxy, clientIpHeader: 'cf-connecting-ip' })),
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
    expect(linesOf(errorFrom({ ...TURNSTILE, ipv6Prefix }))).toEqual([
      `options.ipv6Prefix: ${typeof ipv6Prefix === 'string' ? JSON.stringify(ipv6Prefix) : String(ipv6Prefix)} ${problem}; accepted: ${PREFIX_ACCEPTED}`,
    ]);
  });
});
