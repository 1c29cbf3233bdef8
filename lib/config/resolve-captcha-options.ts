import { Logger } from '@nestjs/common';
import { parseDuration } from '../conditions/duration';
import { ADAPTIVE_BASE_COUNTER } from './altcha-adaptive-rules';
import { splitList } from './captcha-config-rules';
import { isPlainObject, problemLine } from './config-problem';
import { CaptchaConfigError } from './captcha-config.error';
import type {
  AltchaAdaptiveOptions,
  AltchaOptions,
  CaptchaModuleOptions,
} from './captcha-module-options.interface';
import { checkCaptchaOptions } from './captcha-option-rules';
import { testKeyPaths } from './check-test-keys';
import { OPTIONS_SOURCE } from './config-source';
import { resolveClearance } from './resolve-clearance';
import { signingKeyOrProcessKey } from './signing-key';
import { processEnvironmentSignals, productionSignal } from './production-environment';
import type { ResolvedAltchaAdaptive, ResolvedCaptchaOptions } from './resolved-captcha-options';
import { type ClientIpHeader, DEFAULT_IPV6_PREFIX } from '../http/client-ip-resolver';

/** The defaults {@link resolveCaptchaOptions} fills in. @public */
export const CAPTCHA_OPTION_DEFAULTS = {
  provider: 'altcha',
  timeoutMs: 3000,
  failureMode: 'closed',
  minScore: 0.5,
  store: 'memory',
  storeFailureMode: 'closed',
  circuitBreaker: { threshold: 5, halfOpenAfterMs: 30_000 },
  altcha: {
    algorithm: 'SHA-256',
    /** Iterations per attempt for SHA algorithms; PBKDF2 ones default to 1000. */
    cost: 1,
    counter: [10_000, 60_000],
    expiresInSeconds: 300,
    challengePath: '/captcha/challenge',
  },
} as const;

const PBKDF2_DEFAULT_COST = 1000;

/** `altcha.adaptive` (checked before): `true` or an object, with the defaults filled in. */
function resolveAdaptive(adaptive: true | AltchaAdaptiveOptions): ResolvedAltchaAdaptive {
  const given = adaptive === true ? {} : adaptive;
  return {
    perFailure: given.perFailure ?? 2,
    maxFactor: given.maxFactor ?? 64,
    ...(given.counter !== undefined && { counter: given.counter }),
    ...(given.challenges !== undefined && {
      challenges: {
        free: given.challenges.free,
        windowMs: parseDuration(given.challenges.window),
      },
    }),
  };
}

const ALTCHA_HMAC_KEY = {
  what: 'ALTCHA HMAC key',
  where: 'CAPTCHA_ALTCHA_HMAC_KEY / altcha.hmacKey',
  signs: 'challenges',
};

/**
 * Validates module options (as written by hand for `forRoot`, or built by `captchaOptionsFromEnv`)
 * and fills in every default: provider `altcha`, `timeoutMs` 3000, `failureMode` `closed`,
 * `minScore` 0.5, no per-action scores, any hostname, `trustProxy` `false`, `store` `memory`,
 * `storeFailureMode` `closed`, a circuit breaker opening after 5 consecutive outages and trying
 * again after 30 000 ms, and ALTCHA with SHA-256, cost 1 (1000 for PBKDF2), counter
 * 10 000–60 000, challenges valid 300 s and served on `/captcha/challenge`. The stores' own
 * settings (`memory`, `redis`), `fallback`, `auditSink` and `dispatcher` are checked and passed
 * on as they are.
 *
 * Providers other than ALTCHA need `secretKey` and `siteKey`; reCAPTCHA Enterprise (as the
 * provider or the fallback provider) also needs `projectId`. `friendlyCaptchaVersion` and
 * `captchala` are checked and passed on as they are. `failureMode: 'fallback'` needs
 * `fallback`: `{ provider }` naming a supported provider other than `provider` (with its own
 * `siteKey` and `secretKey` unless it is ALTCHA), or `{ method }` naming a method of the app. A
 * `fallback` is checked the same way with any failure mode (routes may choose `fallback`). ALTCHA,
 * as the provider or the fallback provider, needs `altcha.hmacKey` in production (`environment`,
 * `env.captchaEnv` or `env.nodeEnv` is `production`, in any casing, trimmed), and in production a
 * weak key (a repeated pattern, placeholder words: see `hmacKeyWeakness`) is refused (outside
 * production it is only warned about); elsewhere a missing key means a random one for the process and a
 * warning logged. Secrets given as functions are resolved later, on use.
 * `store: 'redis'` needs `redis.url` (a `redis://` or `rediss://` URL, never shown in messages)
 * or `redis.client` (an ioredis client), not both; a store object needs all five `CaptchaStore`
 * methods. A `trustProxy` string is split into a list at its commas; `expectedHostnames` are
 * lower-cased. `ipv6Prefix` defaults to 64; `clientIpHeader` (lower-cased) needs a `trustProxy`
 * that trusts some proxy, since the header is read only from a trusted peer.
 *
 * In production, a public test site key or secret of any provider (primary, fallback, named
 * providers) is refused, naming where it is set and whose test key it is, unless `allowTestKeys`
 * is `true` (staging; then a warning is logged).
 *
 * @param env `nodeEnv` and `captchaEnv` default to `process.env.NODE_ENV` and `process.env.CAPTCHA_ENV`.
 * @throws {CaptchaConfigError} listing every problem on its own line, naming the option (and its
 *   environment variable where one is required), what is wrong and what is accepted. Secret
 *   values are never shown.
 *
 * @example
 * ```ts
 * resolveCaptchaOptions({ provider: 'turnstile', siteKey, secretKey, timeoutMs: -5 });
 * // CaptchaConfigError: Invalid CAPTCHA configuration:
 * // options.timeoutMs: -5 is out of range; accepted: an integer from 100 to 60000 (milliseconds)
 * ```
 * @public
 */
export function resolveCaptchaOptions(
  options: CaptchaModuleOptions,
  env: { nodeEnv?: unknown; captchaEnv?: unknown } = processEnvironmentSignals(),
): ResolvedCaptchaOptions {
  const given: unknown = options ?? {};
  if (!isPlainObject(given)) {
    throw new CaptchaConfigError([
      problemLine('options', given, 'is not an object', 'an object of CaptchaModuleOptions'),
    ]);
  }
  // NODE_ENV, CAPTCHA_ENV or `environment` saying production, in any casing, trimmed.
  const production = productionSignal({ environment: given.environment, ...env });
  const problems = checkCaptchaOptions(given, production, OPTIONS_SOURCE);
  if (problems.length > 0) throw new CaptchaConfigError(problems);

  const typed = given as CaptchaModuleOptions;
  const provider = typed.provider ?? CAPTCHA_OPTION_DEFAULTS.provider;
  const fallback = typed.fallback;
  const fallbackProvider = fallback && 'provider' in fallback ? fallback.provider : undefined;
  const usesAltcha =
    provider === 'altcha' || fallbackProvider === 'altcha' || typed.stepUp?.provider === 'altcha';
  const altcha: AltchaOptions | undefined = typed.altcha;
  const logger = new Logger('CaptchaModule');
  // Warned about only where ALTCHA is used; other providers get a silent random key.
  const hmacKey = signingKeyOrProcessKey(altcha?.hmacKey, ALTCHA_HMAC_KEY, logger, usesAltcha);
  if (production !== undefined && given.allowTestKeys === true) {
    const paths = testKeyPaths(given);
    if (paths.length > 0) {
      logger.warn(
        `public test keys in production, allowed by allowTestKeys (CAPTCHA_ALLOW_TEST_KEYS): ${paths.join(', ')}; ` +
          'they answer fixed verdicts and protect nothing',
      );
    }
  }

  const defaults = CAPTCHA_OPTION_DEFAULTS;
  const trustProxy =
    typeof typed.trustProxy === 'string' ? splitList(typed.trustProxy) : typed.trustProxy;
  const breaker = typed.circuitBreaker === false ? undefined : typed.circuitBreaker;
  const circuitBreaker =
    typed.circuitBreaker === false
      ? false
      : {
          threshold: breaker?.threshold ?? defaults.circuitBreaker.threshold,
          halfOpenAfterMs: breaker?.halfOpenAfterMs ?? defaults.circuitBreaker.halfOpenAfterMs,
        };
  const algorithm = altcha?.algorithm ?? defaults.altcha.algorithm;
  return {
    ...typed,
    provider,
    timeoutMs: typed.timeoutMs ?? defaults.timeoutMs,
    failureMode: typed.failureMode ?? defaults.failureMode,
    minScore: typed.minScore ?? defaults.minScore,
    minScoreByAction: { ...typed.minScoreByAction },
    expectedHostnames: (typed.expectedHostnames ?? []).map((host) => host.toLowerCase()),
    trustProxy: trustProxy ?? false,
    clientIpHeader: typed.clientIpHeader?.trim().toLowerCase() as ClientIpHeader | undefined,
    ipv6Prefix: typed.ipv6Prefix ?? DEFAULT_IPV6_PREFIX,
    store: typed.store ?? defaults.store,
    storeFailureMode: typed.storeFailureMode ?? defaults.storeFailureMode,
    circuitBreaker,
    clearance: resolveClearance(typed.clearance, logger),
    altcha: {
      hmacKey,
      algorithm,
      cost:
        altcha?.cost ??
        (algorithm.startsWith('PBKDF2/') ? PBKDF2_DEFAULT_COST : defaults.altcha.cost),
      // Adaptive: a cheaper base, since the levels multiply it (README: Adaptive proof-of-work).
      counter: altcha?.counter
        ? [altcha.counter[0], altcha.counter[1]]
        : altcha?.adaptive
          ? [...ADAPTIVE_BASE_COUNTER]
          : [...defaults.altcha.counter],
      expiresInSeconds: altcha?.expiresInSeconds ?? defaults.altcha.expiresInSeconds,
      challengePath: altcha?.challengePath ?? defaults.altcha.challengePath,
      ...(altcha?.adaptive && { adaptive: resolveAdaptive(altcha.adaptive) }),
    },
  };
}
