import {
  CaptchaConfigError,
  type CaptchaModuleOptions,
  captchaOptionsFromEnv,
  resolveCaptchaOptions,
} from '../../lib/config';

/** A secret that must never appear in a message. */
export const SECRET = 'sk_live_SUPERSECRET123';
/** Random: placeholder keys are refused in production. */
export const HMAC_KEY = 'e22d5b294ed2122ae8efc389a0b400d2f734cbbf41c2e0ff23ba3f2d0963b471';
export const REDIS_URL = `rediss://default:${SECRET}@cache.example.com:6380/0`;

/** Valid Turnstile options, to add the setting under test to. */
export const TURNSTILE: CaptchaModuleOptions = {
  provider: 'turnstile',
  siteKey: '0x4AAAAAAAsite',
  secretKey: SECRET,
};
/** The same, as environment variables. */
export const TURNSTILE_ENV = {
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SITE_KEY: '0x4AAAAAAAsite',
  CAPTCHA_SECRET_KEY: SECRET,
};

/** Outside production. */
export const DEV = { nodeEnv: 'development' };

export const PROVIDERS =
  'turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala';
export const STORE_ACCEPTED =
  'memory, redis, or a CaptchaStore: an object with the methods increment, decrement, count, reset, claim, release';
export const REDIS_URL_ACCEPTED =
  'a URL like redis://[user:password@]host:6379[/db], or rediss://… for TLS';
export const REDIS_CLIENT_ACCEPTED =
  'an ioredis Redis or Cluster client (an object with the methods eval, set, get, del)';
export const PROJECT_ID_ACCEPTED =
  'the Google Cloud project id of reCAPTCHA Enterprise, e.g. my-project-123 (letters, digits, ".", ":" and "-")';
export const FALLBACK_ACCEPTED =
  "{ provider } naming a provider other than options.provider (turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala), with siteKey and secretKey unless it is altcha, or { method } naming a method of your app, e.g. { provider: 'altcha' } or { method: 'email_otp' }";
export const METHOD_ACCEPTED =
  'a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp';
export const CIRCUIT_ACCEPTED =
  'false (no circuit breaker), or an object { threshold?, halfOpenAfterMs? }, e.g. { threshold: 5, halfOpenAfterMs: 30000 }';
export const THRESHOLD_ACCEPTED = 'an integer from 1 to 1000 (consecutive failures)';
export const HALF_OPEN_ACCEPTED = 'an integer from 100 to 3600000 (milliseconds)';
export const AUDIT_SINK_ACCEPTED =
  'an object with an emit(event) method, e.g. { emit: (event) => log(event) }';
export const DISPATCHER_ACCEPTED =
  "an undici Dispatcher, e.g. new Agent({ keepAliveTimeout: 30000 }) or new ProxyAgent('http://proxy:3128')";
export const HMAC_ACCEPTED =
  'a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`';
export const KEY_PREFIX_ACCEPTED =
  "a non-empty prefix of up to 64 characters without spaces, e.g. 'myapp:captcha:'";

/** A store with every method of `CaptchaStore`. */
export function fakeStore() {
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
export function fakeRedisClient() {
  return {
    eval: async () => 1,
    set: async () => 'OK' as const,
    get: async () => null,
    del: async () => 1,
    quit: async () => 'OK',
  };
}

/** The error `fn` throws, which must be a `CaptchaConfigError`. */
function configErrorOf(fn: () => unknown): CaptchaConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CaptchaConfigError);
    return error as CaptchaConfigError;
  }
  throw new Error('expected a CaptchaConfigError');
}

/** The `CaptchaConfigError` that `resolveCaptchaOptions(options, env)` throws (fails when none). */
export function optionsError(
  options: unknown,
  env: { nodeEnv?: string; captchaEnv?: string } = DEV,
): CaptchaConfigError {
  return configErrorOf(() => resolveCaptchaOptions(options as CaptchaModuleOptions, env));
}

/** `captchaOptionsFromEnv` over `vars`. */
export function fromEnv(vars: Record<string, unknown>) {
  return captchaOptionsFromEnv({ get: (key) => vars[key] });
}

/** The `CaptchaConfigError` that `captchaOptionsFromEnv` throws for `vars` (fails when none). */
export function envError(vars: Record<string, unknown>): CaptchaConfigError {
  return configErrorOf(() => fromEnv(vars));
}

/** The problem lines of an error (without its heading). */
export function linesOf(error: CaptchaConfigError): string[] {
  return error.message.split('\n').slice(1);
}

/**
 * Each case, written in code, is refused with exactly one line naming the option, the problem and
 * what is accepted.
 */
export function refusedOptions(cases: ReadonlyArray<[string, unknown, string]>): void {
  describe('in options: one clear line naming the option, the problem and what is accepted', () => {
    it.each(cases)('%s', (_case, options, line) => {
      const error = optionsError(options);
      expect(linesOf(error)).toEqual([line]);
      expect(error.problems).toEqual([line]);
    });
  });
}

/** Each case, read from the environment, is refused with exactly one line naming the variable. */
export function refusedVariables(
  cases: ReadonlyArray<[string, Record<string, string>, string]>,
): void {
  describe('from the environment: one clear line naming the variable, the problem and what is accepted', () => {
    it.each(cases)('%s', (_case, vars, line) => {
      const error = envError(vars);
      expect(linesOf(error)).toEqual([line]);
      expect(error.problems).toEqual([line]);
      expect(error.message).toBe(`Invalid CAPTCHA configuration:\n${line}`);
      expect(error.name).toBe('CaptchaConfigError');
    });
  });
}
