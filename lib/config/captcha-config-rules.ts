import { MIN_HMAC_KEY_LENGTH } from './hmac-key-strength';
import { didYouMeanHint } from './did-you-mean';
import {
  CAPTCHA_PROVIDER_NAMES,
  type CaptchaProviderName,
} from '../contracts/captcha-provider-name';

/**
 * What one setting accepts, and what is wrong with a value of it. Shared by the environment
 * schema and the options validation, so both say the same thing about the same setting.
 * @internal
 */
export interface ConfigRule {
  /** What the setting accepts, shown after `accepted:`. */
  readonly accepted: string;
  /** The problem with `value` (e.g. `is out of range`), or `undefined` when it is acceptable. */
  problem(value: unknown): string | undefined;
}

export { maskUrlSecrets } from './mask-url-secrets';

const CONTROL_OR_SPACE = /[\s\p{Cc}]/u;

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** True for a provider name this library verifies with. @internal */
export function isSupportedProvider(value: unknown): value is CaptchaProviderName {
  return (CAPTCHA_PROVIDER_NAMES as readonly unknown[]).includes(value);
}

/** Names people use for a provider, for the did-you-mean of an unknown one. */
const PROVIDER_ALIASES: Readonly<Record<string, string>> = {
  cloudflare: 'turnstile',
  'cloudflare-turnstile': 'turnstile',
  google: 'recaptcha',
  'google-recaptcha': 'recaptcha',
  friendlycaptcha: 'friendly-captcha',
};

/** `CAPTCHA_PROVIDER` / `provider`; an unknown name gets a did-you-mean (`turnstil`). @internal */
export const providerRule: ConfigRule = {
  accepted: CAPTCHA_PROVIDER_NAMES.join(', '),
  problem: (value) => {
    if (isSupportedProvider(value)) return undefined;
    return `is not a known provider${didYouMeanHint(value, CAPTCHA_PROVIDER_NAMES, PROVIDER_ALIASES)}`;
  },
};

/**
 * `CAPTCHA_FALLBACK_PROVIDER` / `fallback.provider`: a provider this version supports (that it
 * differs from the main provider is checked with both at hand).
 * @internal
 */
export const fallbackProviderRule: ConfigRule = providerRule;

/** `CAPTCHA_FALLBACK_METHOD` / `fallback.method`: a method of the app, e.g. `email_otp`. @internal */
export const fallbackMethodRule: ConfigRule = {
  accepted:
    'a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
  problem: (value) => {
    if (typeof value !== 'string') return 'is not a string';
    return /^[a-z][a-z0-9_]{0,63}$/.test(value) ? undefined : 'is not a method name';
  },
};

/** Site and secret keys: opaque strings, but never with spaces or line breaks. */
function keyRule(accepted: string, minLength = 1): ConfigRule {
  return {
    accepted,
    problem: (value) => {
      if (typeof value !== 'string') return 'is not a string';
      if (value.length === 0) return 'is empty';
      if (CONTROL_OR_SPACE.test(value)) return 'contains whitespace or control characters';
      if (value.length < minLength) return 'is too short';
      if (value.length > 4096) return 'is too long';
      return undefined;
    },
  };
}

/** `CAPTCHA_SITE_KEY` / `siteKey`. @internal */
export const siteKeyRule = keyRule(
  'the site key exactly as the provider issued it, without spaces or line breaks',
);

/** `CAPTCHA_SECRET_KEY` / `secretKey` (when a string). Its value is never shown. @internal */
export const secretKeyRule = keyRule(
  'the secret key exactly as the provider issued it, without spaces or line breaks',
);

/**
 * `CAPTCHA_PROJECT_ID` / `projectId`: a Google Cloud project id (or number, or a domain-scoped
 * `example.com:project`). It goes into the assessments URL's path, so `/`, `?`, `#` and spaces are
 * refused.
 * @internal
 */
export const projectIdRule: ConfigRule = {
  accepted:
    'the Google Cloud project id of reCAPTCHA Enterprise, e.g. my-project-123 (letters, digits, ".", ":" and "-")',
  problem: (value) => {
    if (typeof value !== 'string') return 'is not a string';
    if (value.length === 0) return 'is empty';
    return /^[A-Za-z0-9][A-Za-z0-9.:-]{0,127}$/.test(value) ? undefined : 'is not a project id';
  },
};

/** A path serving challenges (`altcha.challengePath`, `captchala.challengePath`), when not `false`. @internal */
export const challengePathRule: ConfigRule = {
  accepted: "a path starting with '/', e.g. /captcha/challenge, or false to serve none",
  problem: (value) => {
    if (typeof value !== 'string') return 'is not a path';
    if (!value.startsWith('/')) return "does not start with '/'";
    if (/[\s?#]/.test(value)) return 'contains whitespace, ? or #';
    return undefined;
  },
};

/** Shortest ALTCHA HMAC key accepted: a guessable key lets anyone mint easy challenges. */
export { MIN_HMAC_KEY_LENGTH } from './hmac-key-strength';

/** `CAPTCHA_ALTCHA_HMAC_KEY` / `altcha.hmacKey` (when a string). Its value is never shown. @internal */
export const hmacKeyRule = keyRule(
  `a random secret of at least ${MIN_HMAC_KEY_LENGTH} characters without spaces, e.g. the output of \`openssl rand -hex 32\``,
  MIN_HMAC_KEY_LENGTH,
);

/** `CAPTCHA_VERIFY_URL` / `verifyUrl`. Plain http is allowed (local proxies, tests). @internal */
export const verifyUrlRule: ConfigRule = {
  accepted:
    'an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
  problem: (value) => {
    if (typeof value !== 'string') return 'is not a string';
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not an absolute http(s) URL';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return 'is not an absolute http(s) URL';
    }
    return undefined;
  },
};

/** `CAPTCHA_REDIS_URL`. Its value is never shown: it may hold a password. @internal */
export const redisUrlRule: ConfigRule = {
  accepted: 'a URL like redis://[user:password@]host:6379[/db], or rediss://… for TLS',
  problem: (value) => {
    if (typeof value !== 'string') return 'is not a string';
    try {
      const url = new URL(value);
      if ((url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '') {
        return undefined;
      }
    } catch {
      // reported below, without the parser's message (it would quote the URL)
    }
    return 'is not a redis:// or rediss:// URL';
  },
};

/** A whole number within `[min, max]`. @internal */
export function integerRule(min: number, max: number, unit?: string): ConfigRule {
  return {
    accepted: `an integer from ${min} to ${max}${unit ? ` (${unit})` : ''}`,
    problem: (value) => {
      if (!isWholeNumber(value)) return 'is not a whole number';
      if (value < min || value > max) return 'is out of range';
      return undefined;
    },
  };
}

/** `CAPTCHA_TIMEOUT_MS` / `timeoutMs`. @internal */
export const timeoutMsRule = integerRule(100, 60_000, 'milliseconds');

/** `outageLogIntervalMs`: how often an ongoing outage is summed up in the log. @internal */
export const outageLogIntervalRule = integerRule(100, 3_600_000, 'milliseconds');

/** `maxTokenAgeSeconds`. @internal */
export const maxTokenAgeRule = integerRule(1, 86_400, 'seconds');

/** `CAPTCHA_MIN_SCORE` / `minScore` / the values of `minScoreByAction`. @internal */
export const minScoreRule: ConfigRule = {
  accepted: 'a number from 0 to 1, e.g. 0.5',
  problem: (value) => {
    if (!isFiniteNumber(value)) return 'is not a number';
    if (value < 0 || value > 1) return 'is out of range';
    return undefined;
  },
};

/** The failure modes (`CAPTCHA_FAILURE_MODE` / `failureMode`). @internal */
export const FAILURE_MODES = ['closed', 'open', 'fallback'] as const;

/** `CAPTCHA_FAILURE_MODE` / `failureMode`. @internal */
export const failureModeRule: ConfigRule = {
  accepted: FAILURE_MODES.join(', '),
  problem: (value) =>
    (FAILURE_MODES as readonly unknown[]).includes(value)
      ? undefined
      : `is not a failure mode${didYouMeanHint(value, FAILURE_MODES)}`,
};

/** `circuitBreaker.threshold`. @internal */
export const circuitThresholdRule = integerRule(1, 1000, 'consecutive failures');

/** `circuitBreaker.halfOpenAfterMs`. @internal */
export const circuitHalfOpenAfterRule = integerRule(100, 3_600_000, 'milliseconds');

/** The stores that can be chosen by name (`CAPTCHA_STORE` / `store`). @internal */
export const STORE_NAMES = ['memory', 'redis'] as const;

/** A store chosen by name. @internal */
export type CaptchaStoreName = (typeof STORE_NAMES)[number];

/** `CAPTCHA_STORE`, and `store` when given as a name. @internal */
export const storeNameRule: ConfigRule = {
  accepted: STORE_NAMES.join(', '),
  problem: (value) =>
    (STORE_NAMES as readonly unknown[]).includes(value)
      ? undefined
      : `is not a store${looksLikeUrl(value) ? '' : didYouMeanHint(value, STORE_NAMES)}`,
};

/** True for text that starts like a URL (`scheme:`), which may carry a password. @internal */
export function looksLikeUrl(value: unknown): boolean {
  return typeof value === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(value.trim());
}

/** `redis.keyPrefix`. @internal */
export const redisKeyPrefixRule: ConfigRule = {
  accepted: "a non-empty prefix of up to 64 characters without spaces, e.g. 'myapp:captcha:'",
  problem: (value) => {
    if (typeof value !== 'string') return 'is not a string';
    if (value.length === 0) return 'is empty';
    if (CONTROL_OR_SPACE.test(value)) return 'contains whitespace or control characters';
    if (value.length > 64) return 'is too long';
    return undefined;
  },
};

/** `redis.commandTimeoutMs`. @internal */
export const redisCommandTimeoutRule = integerRule(10, 10_000, 'milliseconds');

/** `memory.maxEntries`. @internal */
export const memoryMaxEntriesRule = integerRule(100, 10_000_000, 'entries');

/** `memory.maxClaims`. @internal */
export const memoryMaxClaimsRule = integerRule(1, 10_000_000, 'claims');

/** `storeFailureMode`. @internal */
export const storeFailureModeRule: ConfigRule = {
  accepted: 'closed, open',
  problem: (value) =>
    value === 'closed' || value === 'open' ? undefined : 'is not a store failure mode',
};

/** Splits a comma-separated list, trimming entries and dropping empty ones. @internal */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** The ALTCHA algorithms altcha-lib 2 implements. @internal */
export const ALTCHA_ALGORITHMS = [
  'SHA-256',
  'SHA-384',
  'SHA-512',
  'PBKDF2/SHA-256',
  'PBKDF2/SHA-384',
  'PBKDF2/SHA-512',
] as const;

/** `CAPTCHA_ENV` / `environment`: shown in logs, so kept to a plain name. @internal */
export const environmentRule: ConfigRule = {
  accepted: "a name of letters, digits, '.', '_' and '-' (up to 64 characters), e.g. production",
  problem: (value) =>
    typeof value === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(value)
      ? undefined
      : 'is not an environment name',
};
