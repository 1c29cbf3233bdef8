import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  ALTCHA_ALGORITHMS,
  challengePathRule,
  circuitHalfOpenAfterRule,
  clientIpHeaderRule,
  circuitThresholdRule,
  type ConfigRule,
  environmentRule,
  failureModeRule,
  fallbackMethodRule,
  fallbackProviderRule,
  HIDDEN_VALUE,
  hmacKeyRule,
  hostnameRule,
  integerRule,
  isPlainObject,
  propertyPath,
  type ProblemReport,
  ipv6PrefixRule,
  isSupportedProvider,
  looksLikeUrl,
  maskUrlSecrets,
  maxTokenAgeRule,
  memoryMaxClaimsRule,
  memoryMaxEntriesRule,
  minScoreRule,
  problemLine,
  providerRule,
  redisCommandTimeoutRule,
  redisKeyPrefixRule,
  redisUrlRule,
  secretKeyRule,
  siteKeyRule,
  splitList,
  STORE_NAMES,
  storeFailureModeRule,
  timeoutMsRule,
  TRUST_PROXY_ACCEPTED,
  trustProxyEntryRule,
  trustsNoProxy,
  verifyUrlRule,
} from './captcha-config-rules';
import { CaptchaConfigError } from './captcha-config.error';
import { checkProviderOptions } from './check-provider-options';
import { checkMessages, checkNamedProviders } from './check-providers-and-messages';
import { testKeyPaths, testKeyProblems } from './check-test-keys';
import { hmacKeyWeakness } from './hmac-key-strength';
import { processEnvironmentSignals, productionSignal } from './production-environment';
import {
  type CaptchaProviderName,
  CAPTCHA_PROVIDER_NAMES,
} from '../providers/captcha-provider-name';
import type {
  AltchaOptions,
  CaptchaCircuitBreakerOptions,
  CaptchaModuleOptions,
  CaptchaRedisOptions,
  CaptchaSecret,
} from './captcha-module-options.interface';
import type { ResolvedCaptchaOptions } from './resolved-captcha-options';
import { type ClientIpHeader, DEFAULT_IPV6_PREFIX } from '../http/client-ip-resolver';

/** The defaults {@link resolveCaptchaOptions} fills in. */
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
const MAX_COUNTER = 2 ** 32 - 1;

const MISSING_HMAC_KEY_WARNING =
  'no ALTCHA HMAC key set (CAPTCHA_ALTCHA_HMAC_KEY / altcha.hmacKey); using a random key for ' +
  'this process: challenges will not survive restarts or work across instances';

let processHmacKey: string | undefined;

/** One random HMAC key per process, for ALTCHA outside production when none is configured. */
function randomProcessHmacKey(): string {
  processHmacKey ??= randomBytes(32).toString('hex');
  return processHmacKey;
}

const isObject = isPlainObject;

/** The methods every `CaptchaStore` has. */
const STORE_METHODS = ['increment', 'decrement', 'count', 'reset', 'claim', 'release'] as const;

/** The methods of an ioredis client the Redis store calls. */
const REDIS_CLIENT_METHODS = ['eval', 'set', 'get', 'del'] as const;

/** The names of `methods` that `value` lacks (as functions). */
const missingMethods = (value: Record<string, unknown>, methods: readonly string[]) =>
  methods.filter((method) => typeof value[method] !== 'function');

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
 */
export function resolveCaptchaOptions(
  options: CaptchaModuleOptions,
  env: { nodeEnv?: unknown; captchaEnv?: unknown } = processEnvironmentSignals(),
): ResolvedCaptchaOptions {
  const given: unknown = options ?? {};
  if (!isObject(given)) {
    throw new CaptchaConfigError([
      problemLine('options', given, 'is not an object', 'an object of CaptchaModuleOptions'),
    ]);
  }
  const problems: string[] = [];
  const report = (
    path: string,
    value: unknown,
    problem: string,
    accepted: string,
    secret = false,
  ) => problems.push(problemLine(`options.${path}`, value, problem, accepted, secret));
  const check = (path: string, value: unknown, rule: ConfigRule, shown: unknown = value) => {
    if (value === undefined) return;
    const problem = rule.problem(value);
    if (problem !== undefined) report(path, shown, problem, rule.accepted);
  };
  const checkSecret = (path: string, value: unknown, rule: ConfigRule) => {
    if (value === undefined || typeof value === 'function') return;
    const accepted = `${rule.accepted}, or a function returning it`;
    const problem =
      typeof value === 'string' ? rule.problem(value) : 'is not a string or a function';
    if (problem !== undefined) report(path, value, problem, accepted, true);
  };
  const checkFunction = (path: string, value: unknown, accepted: string) => {
    if (value !== undefined && typeof value !== 'function') {
      report(path, value, 'is not a function', accepted);
    }
  };

  const provider = given.provider ?? CAPTCHA_OPTION_DEFAULTS.provider;
  check('provider', provider, providerRule);
  if (
    given.provider === undefined &&
    (given.siteKey !== undefined || given.secretKey !== undefined)
  ) {
    // The default, ALTCHA, would ignore the keys: a forgotten provider, not a wish for ALTCHA.
    const keys = ['siteKey', 'secretKey'].filter((key) => given[key] !== undefined);
    problems.push(
      `options.provider (CAPTCHA_PROVIDER) is not set, but options.${keys.join(' and options.')} ${keys.length === 2 ? 'are' : 'is'}: ` +
        `the default provider, altcha, uses no site or secret key; accepted: the provider that issued the keys: ${CAPTCHA_PROVIDER_NAMES.filter((name) => name !== 'altcha').join(', ')}`,
    );
  }
  check('siteKey', given.siteKey, siteKeyRule);
  checkSecret('secretKey', given.secretKey, secretKeyRule);
  const verifyUrl = given.verifyUrl;
  check(
    'verifyUrl',
    verifyUrl,
    verifyUrlRule,
    typeof verifyUrl === 'string' ? maskUrlSecrets(verifyUrl) : verifyUrl,
  );
  check('timeoutMs', given.timeoutMs, timeoutMsRule);
  check('failureMode', given.failureMode, failureModeRule);
  check('minScore', given.minScore, minScoreRule);
  check('maxTokenAgeSeconds', given.maxTokenAgeSeconds, maxTokenAgeRule);
  check('environment', given.environment, environmentRule);

  const minScoreByAction = given.minScoreByAction;
  if (minScoreByAction !== undefined) {
    if (!isObject(minScoreByAction)) {
      report(
        'minScoreByAction',
        minScoreByAction,
        'is not an object',
        'an object of action names to minimum scores, e.g. { checkout: 0.7 }',
      );
    } else {
      for (const [action, score] of Object.entries(minScoreByAction)) {
        check(propertyPath('minScoreByAction', action), score, minScoreRule);
      }
    }
  }

  const expectedHostnames = given.expectedHostnames;
  if (expectedHostnames !== undefined) {
    if (!Array.isArray(expectedHostnames)) {
      report(
        'expectedHostnames',
        expectedHostnames,
        'is not an array',
        "an array of hostnames, e.g. ['example.com', 'www.example.com']",
      );
    } else {
      expectedHostnames.forEach((hostname: unknown, i) =>
        check(`expectedHostnames[${i}]`, hostname, hostnameRule),
      );
    }
  }

  const trustProxy = resolveTrustProxy(given.trustProxy, report);
  const clientIpHeader = resolveClientIpHeader(given.clientIpHeader, trustProxy, report);
  check('ipv6Prefix', given.ipv6Prefix, ipv6PrefixRule);

  const store = given.store;
  if (store !== undefined && !(STORE_NAMES as readonly unknown[]).includes(store)) {
    const accepted = `${STORE_NAMES.join(', ')}, or a CaptchaStore: an object with the methods ${STORE_METHODS.join(', ')}`;
    if (typeof store === 'string') {
      // A Redis URL put here by mistake may hold a password.
      report('store', store, 'is not a store', accepted, looksLikeUrl(store));
    } else if (!isObject(store)) {
      report('store', store, 'is not a store', accepted);
    } else {
      const missing = missingMethods(store, STORE_METHODS);
      if (missing.length > 0) {
        report('store', store, `is not a CaptchaStore: it lacks ${missing.join(', ')}`, accepted);
      }
    }
  }
  const redis = resolveRedis(given.redis, report);
  const memory = given.memory;
  if (memory !== undefined) {
    if (!isObject(memory)) {
      report(
        'memory',
        memory,
        'is not an object',
        'an object of memory store settings, e.g. { maxEntries: 100000 }',
      );
    } else {
      check('memory.maxEntries', memory.maxEntries, memoryMaxEntriesRule);
      check('memory.maxClaims', memory.maxClaims, memoryMaxClaimsRule);
    }
  }
  check('storeFailureMode', given.storeFailureMode, storeFailureModeRule);
  checkFunction(
    'tokenExtractor',
    given.tokenExtractor,
    'a function (request) => token | undefined',
  );
  const strip = given.stripTokenFields;
  if (
    strip !== undefined &&
    typeof strip !== 'boolean' &&
    !(Array.isArray(strip) && strip.every((field) => typeof field === 'string'))
  ) {
    report(
      'stripTokenFields',
      strip,
      'is not a boolean or a list of field names',
      "true, false, or the body fields to remove, e.g. ['recaptcha']",
    );
  }
  checkFunction(
    'skipIf',
    given.skipIf,
    'a function (context: ExecutionContext) => boolean | Promise<boolean>',
  );

  const circuitBreaker = resolveCircuitBreaker(given.circuitBreaker, report);
  const auditSink = given.auditSink;
  if (auditSink !== undefined) {
    const accepted = 'an object with an emit(event) method, e.g. { emit: (event) => log(event) }';
    if (!isObject(auditSink)) {
      report('auditSink', auditSink, 'is not an audit sink', accepted);
    } else if (typeof auditSink.emit !== 'function') {
      report('auditSink', auditSink, 'is not an audit sink: it lacks emit', accepted);
    }
  }
  checkDispatcher(given, report);
  const metrics = given.metrics;
  if (
    metrics !== undefined &&
    !(['auto', 'prometheus', 'opentelemetry', 'both', false] as unknown[]).includes(metrics)
  ) {
    report(
      'metrics',
      metrics,
      'is not a metrics backend',
      "'auto', 'prometheus', 'opentelemetry', 'both' or false",
    );
  }
  const registry = given.metricsRegistry;
  if (
    registry !== undefined &&
    !(isObject(registry) && typeof registry.getSingleMetric === 'function')
  ) {
    report('metricsRegistry', registry, 'is not a prom-client Registry', 'a prom-client Registry');
  }
  if (given.logDecisions !== undefined && typeof given.logDecisions !== 'boolean') {
    report('logDecisions', given.logDecisions, 'is not a boolean', 'true or false');
  }

  const altcha = resolveAltcha(given.altcha, report, checkSecret);
  const fallbackProvider = checkFallback(given.fallback, provider, report, check, checkSecret);
  checkProviderOptions(given, { provider, fallbackProvider }, report, problems);
  checkNamedProviders(given.providers, { provider, fallbackProvider }, report, problems);
  checkMessages(given.messages, report);

  // Cross-field rules, on a provider known to be valid.
  if (isSupportedProvider(provider) && provider !== 'altcha') {
    if (given.secretKey === undefined) {
      problems.push(
        `options.secretKey (CAPTCHA_SECRET_KEY) is required for provider "${provider}"; ` +
          `accepted: the secret key issued by ${provider}, as a string or a function returning it`,
      );
    }
    if (given.siteKey === undefined) {
      problems.push(
        `options.siteKey (CAPTCHA_SITE_KEY) is required for provider "${provider}"; ` +
          `accepted: the site key issued by ${provider}`,
      );
    }
  }
  if (given.failureMode === 'fallback' && given.fallback === undefined) {
    problems.push(
      'options.fallback (CAPTCHA_FALLBACK_PROVIDER or CAPTCHA_FALLBACK_METHOD) is required for failureMode "fallback"; ' +
        `accepted: ${FALLBACK_ACCEPTED}`,
    );
  }
  if (
    fallbackProvider !== undefined &&
    fallbackProvider !== 'altcha' &&
    isObject(given.fallback) &&
    fallbackProvider !== provider
  ) {
    const fallback = given.fallback;
    if (fallback.secretKey === undefined) {
      problems.push(
        `options.fallback.secretKey is required for fallback provider "${fallbackProvider}" (no environment variable sets it); ` +
          `accepted: the secret key issued by ${fallbackProvider}, as a string or a function returning it`,
      );
    }
    if (fallback.siteKey === undefined) {
      problems.push(
        `options.fallback.siteKey is required for fallback provider "${fallbackProvider}" (no environment variable sets it); ` +
          `accepted: the site key issued by ${fallbackProvider}`,
      );
    }
  }
  // (A `redis` that is not an object was reported already.)
  const redisGiven = given.redis === undefined || redis !== undefined;
  if (store === 'redis' && redisGiven && redis?.url === undefined && redis?.client === undefined) {
    problems.push(
      'options.redis.url (CAPTCHA_REDIS_URL) or options.redis.client is required for store "redis"; ' +
        `accepted: ${redisUrlRule.accepted}, or an ioredis Redis or Cluster client`,
    );
  }
  let hmacKey = altcha?.hmacKey;
  const usesAltcha = provider === 'altcha' || fallbackProvider === 'altcha';
  // NODE_ENV, CAPTCHA_ENV or `environment` saying production, in any casing, trimmed.
  const production = productionSignal({ environment: given.environment, ...env });
  if (given.allowTestKeys !== undefined && typeof given.allowTestKeys !== 'boolean') {
    report(
      'allowTestKeys',
      given.allowTestKeys,
      'is not a boolean',
      'true (staging only) or false',
    );
  }
  if (production !== undefined && given.allowTestKeys !== true) {
    problems.push(...testKeyProblems(given, production));
  }
  const weakHmacKey = typeof hmacKey === 'string' ? hmacKeyWeakness(hmacKey) : undefined;
  if (weakHmacKey !== undefined && production !== undefined) {
    problems.push(
      `options.altcha.hmacKey (CAPTCHA_ALTCHA_HMAC_KEY): ${HIDDEN_VALUE} is a weak key (${weakHmacKey}), ` +
        `refused in production (${production}); accepted: ${hmacKeyRule.accepted}`,
    );
  }
  if (usesAltcha && hmacKey === undefined) {
    if (production !== undefined) {
      const forFallback = provider === 'altcha' ? '' : ' for the fallback provider "altcha"';
      problems.push(
        `options.altcha.hmacKey (CAPTCHA_ALTCHA_HMAC_KEY) is required in production (${production})${forFallback}; ` +
          `accepted: ${hmacKeyRule.accepted}`,
      );
    }
  }

  if (problems.length > 0) throw new CaptchaConfigError(problems);

  const logger = new Logger('CaptchaModule');
  if (weakHmacKey !== undefined && usesAltcha) {
    logger.warn(
      `the ALTCHA HMAC key (CAPTCHA_ALTCHA_HMAC_KEY / altcha.hmacKey) is weak (${weakHmacKey}): ` +
        'it will be refused in production; use e.g. `openssl rand -hex 32`',
    );
  }
  if (production !== undefined && given.allowTestKeys === true) {
    const paths = testKeyPaths(given);
    if (paths.length > 0) {
      logger.warn(
        `public test keys in production, allowed by allowTestKeys (CAPTCHA_ALLOW_TEST_KEYS): ${paths.join(', ')}; ` +
          'they answer fixed verdicts and protect nothing',
      );
    }
  }

  if (hmacKey === undefined) {
    if (usesAltcha) logger.warn(MISSING_HMAC_KEY_WARNING);
    hmacKey = randomProcessHmacKey();
  }

  const defaults = CAPTCHA_OPTION_DEFAULTS;
  const typed = given as CaptchaModuleOptions;
  const algorithm = altcha?.algorithm ?? defaults.altcha.algorithm;
  return {
    ...typed,
    provider: provider as ResolvedCaptchaOptions['provider'],
    timeoutMs: typed.timeoutMs ?? defaults.timeoutMs,
    failureMode: typed.failureMode ?? defaults.failureMode,
    minScore: typed.minScore ?? defaults.minScore,
    minScoreByAction: { ...typed.minScoreByAction },
    expectedHostnames: (typed.expectedHostnames ?? []).map((host) => host.toLowerCase()),
    trustProxy: trustProxy ?? false,
    clientIpHeader,
    ipv6Prefix: typed.ipv6Prefix ?? DEFAULT_IPV6_PREFIX,
    store: typed.store ?? defaults.store,
    storeFailureMode: typed.storeFailureMode ?? defaults.storeFailureMode,
    circuitBreaker,
    altcha: {
      hmacKey,
      algorithm,
      cost:
        altcha?.cost ??
        (algorithm.startsWith('PBKDF2/') ? PBKDF2_DEFAULT_COST : defaults.altcha.cost),
      counter: altcha?.counter
        ? [altcha.counter[0], altcha.counter[1]]
        : [...defaults.altcha.counter],
      expiresInSeconds: altcha?.expiresInSeconds ?? defaults.altcha.expiresInSeconds,
      challengePath: altcha?.challengePath ?? defaults.altcha.challengePath,
    },
  };
}

/** What `fallback` accepts. */
const FALLBACK_ACCEPTED =
  `{ provider } naming a provider other than options.provider (${CAPTCHA_PROVIDER_NAMES.join(', ')}), ` +
  "with siteKey and secretKey unless it is altcha, or { method } naming a method of your app, e.g. { provider: 'altcha' } or { method: 'email_otp' }";

/** The settings only a fallback provider has. */
const FALLBACK_PROVIDER_FIELDS = ['siteKey', 'secretKey', 'verifyUrl'] as const;

/**
 * Checks the shape of `fallback` (the keys a fallback provider requires are checked by the
 * caller); returns its provider when that is a supported one.
 */
function checkFallback(
  value: unknown,
  mainProvider: unknown,
  report: Report,
  check: (path: string, value: unknown, rule: ConfigRule, shown?: unknown) => void,
  checkSecret: (path: string, value: unknown, rule: ConfigRule) => void,
): CaptchaProviderName | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    report('fallback', value, 'is not an object', FALLBACK_ACCEPTED);
    return undefined;
  }
  const { provider, method, siteKey, secretKey, verifyUrl } = value;
  if (provider !== undefined && method !== undefined) {
    report(
      'fallback',
      value,
      'sets both provider and method',
      'one of provider (a second provider) or method (a method of your app), not both',
    );
    return undefined;
  }
  if (provider === undefined && method === undefined) {
    report('fallback', value, 'sets neither provider nor method', FALLBACK_ACCEPTED);
    return undefined;
  }
  if (method !== undefined) {
    check('fallback.method', method, fallbackMethodRule);
    for (const key of FALLBACK_PROVIDER_FIELDS) {
      const field = value[key];
      if (field === undefined) continue;
      report(
        `fallback.${key}`,
        key === 'verifyUrl' && typeof field === 'string' ? maskUrlSecrets(field) : field,
        'is set with fallback.method',
        `${FALLBACK_PROVIDER_FIELDS.join(', ')} only with fallback.provider`,
        key === 'secretKey',
      );
    }
    return undefined;
  }
  check('fallback.provider', provider, fallbackProviderRule);
  check('fallback.siteKey', siteKey, siteKeyRule);
  checkSecret('fallback.secretKey', secretKey, secretKeyRule);
  check(
    'fallback.verifyUrl',
    verifyUrl,
    verifyUrlRule,
    typeof verifyUrl === 'string' ? maskUrlSecrets(verifyUrl) : verifyUrl,
  );
  if (!isSupportedProvider(provider)) return undefined;
  if (provider === mainProvider) {
    report(
      'fallback.provider',
      provider,
      'is the same as options.provider',
      `a provider other than options.provider: ${CAPTCHA_PROVIDER_NAMES.filter((name) => name !== provider).join(', ')}`,
    );
  }
  return provider;
}

/** Checks `circuitBreaker`; returns it with defaults filled, or `false`. */
function resolveCircuitBreaker(
  value: unknown,
  report: Report,
): Required<CaptchaCircuitBreakerOptions> | false {
  const defaults = CAPTCHA_OPTION_DEFAULTS.circuitBreaker;
  if (value === false) return false;
  if (value === undefined) return { ...defaults };
  if (!isObject(value)) {
    report(
      'circuitBreaker',
      value,
      'is not an object or false',
      'false (no circuit breaker), or an object { threshold?, halfOpenAfterMs? }, e.g. { threshold: 5, halfOpenAfterMs: 30000 }',
    );
    return false;
  }
  const { threshold, halfOpenAfterMs } = value;
  for (const [key, field, rule] of [
    ['threshold', threshold, circuitThresholdRule],
    ['halfOpenAfterMs', halfOpenAfterMs, circuitHalfOpenAfterRule],
  ] as const) {
    const problem = field === undefined ? undefined : rule.problem(field);
    if (problem !== undefined) report(`circuitBreaker.${key}`, field, problem, rule.accepted);
  }
  return {
    threshold: (threshold as number | undefined) ?? defaults.threshold,
    halfOpenAfterMs: (halfOpenAfterMs as number | undefined) ?? defaults.halfOpenAfterMs,
  };
}

const DISPATCHER_ACCEPTED =
  "an undici Dispatcher, e.g. new Agent({ keepAliveTimeout: 30000 }) or new ProxyAgent('http://proxy:3128')";

/**
 * Checks `dispatcher`: an undici Dispatcher, i.e. an object with a `dispatch` method. The former
 * `httpAgents` is refused rather than ignored: a proxy configured there would silently be skipped.
 */
function checkDispatcher(given: Record<string, unknown>, report: Report): void {
  const value = given.dispatcher;
  if (value !== undefined && (!isObject(value) || typeof value.dispatch !== 'function')) {
    report(
      'dispatcher',
      value,
      isObject(value) ? 'is not a dispatcher: it lacks dispatch' : 'is not a dispatcher',
      DISPATCHER_ACCEPTED,
    );
  }
  if (given.httpAgents !== undefined) {
    report(
      'httpAgents',
      given.httpAgents,
      'is no longer supported (provider calls go through undici)',
      `dispatcher: ${DISPATCHER_ACCEPTED}`,
    );
  }
}

type Report = ProblemReport;

/** Checks `redis`; returns it when it is an object. Its URL (or a string client) is never shown. */
function resolveRedis(value: unknown, report: Report): CaptchaRedisOptions | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    report(
      'redis',
      value,
      'is not an object',
      "an object of Redis store settings, e.g. { url: 'redis://cache:6379' }",
      typeof value === 'string',
    );
    return undefined;
  }
  const { url, client, keyPrefix, commandTimeoutMs } = value;
  if (url !== undefined) {
    const problem = redisUrlRule.problem(url);
    if (problem !== undefined) report('redis.url', url, problem, redisUrlRule.accepted, true);
  }
  if (client !== undefined) {
    const accepted = `an ioredis Redis or Cluster client (an object with the methods ${REDIS_CLIENT_METHODS.join(', ')})`;
    if (!isObject(client)) {
      report('redis.client', client, 'is not a Redis client', accepted, typeof client === 'string');
    } else {
      const missing = missingMethods(client, REDIS_CLIENT_METHODS);
      if (missing.length > 0) {
        report(
          'redis.client',
          client,
          `is not a Redis client: it lacks ${missing.join(', ')}`,
          accepted,
        );
      }
    }
  }
  if (url !== undefined && client !== undefined) {
    report(
      'redis',
      value,
      'sets both url and client',
      'one of url (the store creates and closes its client) or client (yours, never closed by the store)',
    );
  }
  for (const [key, field, rule] of [
    ['keyPrefix', keyPrefix, redisKeyPrefixRule],
    ['commandTimeoutMs', commandTimeoutMs, redisCommandTimeoutRule],
  ] as const) {
    const problem = field === undefined ? undefined : rule.problem(field);
    if (problem !== undefined) report(`redis.${key}`, field, problem, rule.accepted);
  }
  return value as CaptchaRedisOptions;
}

/**
 * Checks `clientIpHeader` (returned in lower case) and that `trustProxy` trusts some proxy: a
 * header is read only from a trusted peer, so without one it would silently never be read.
 */
function resolveClientIpHeader(
  value: unknown,
  trustProxy: unknown,
  report: Report,
): ClientIpHeader | undefined {
  if (value === undefined) return undefined;
  const problem = clientIpHeaderRule.problem(value);
  if (problem !== undefined) {
    report('clientIpHeader', value, problem, clientIpHeaderRule.accepted);
    return undefined;
  }
  if (trustsNoProxy(trustProxy)) {
    report(
      'clientIpHeader (CAPTCHA_CLIENT_IP_HEADER)',
      value,
      `is set, but trustProxy (CAPTCHA_TRUST_PROXY) is ${trustProxy === undefined ? 'not set' : JSON.stringify(trustProxy)} and trusts no proxy, so the header would never be read`,
      'trustProxy set to the proxies that write the header (e.g. their addresses or CIDR ranges, or loopback), or no clientIpHeader',
    );
    return undefined;
  }
  return (value as string).trim().toLowerCase() as ClientIpHeader;
}

/** Checks `trustProxy`; a string becomes the list of its comma-separated entries. */
function resolveTrustProxy(
  value: unknown,
  report: Report,
): boolean | number | string[] | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      report('trustProxy', value, 'is not a valid hop count', TRUST_PROXY_ACCEPTED);
    }
    return value;
  }
  if (typeof value === 'string') {
    const entries = splitList(value);
    if (entries.length === 0)
      report('trustProxy', value, 'contains no address', TRUST_PROXY_ACCEPTED);
    const bad = entries.filter((entry) => trustProxyEntryRule.problem(entry) !== undefined);
    if (bad.length > 0) {
      report(
        'trustProxy',
        value,
        `contains ${bad.length === 1 ? 'an entry that is not an IP address, CIDR range or proxy name' : 'entries that are not IP addresses, CIDR ranges or proxy names'}: ${bad.map((entry) => JSON.stringify(entry)).join(', ')}`,
        TRUST_PROXY_ACCEPTED,
      );
    }
    return entries;
  }
  if (Array.isArray(value)) {
    value.forEach((entry: unknown, i) => {
      const problem = trustProxyEntryRule.problem(entry);
      if (problem !== undefined) {
        report(`trustProxy[${i}]`, entry, problem, trustProxyEntryRule.accepted);
      }
    });
    return value as string[];
  }
  report('trustProxy', value, 'is not a trust setting', TRUST_PROXY_ACCEPTED);
  return undefined;
}

const expiresInSecondsRule = integerRule(10, 86_400, 'seconds');
const costRule = integerRule(1, MAX_COUNTER, 'iterations');

/** Checks `altcha`; returns it when it is an object (so its fields can be defaulted). */
function resolveAltcha(
  value: unknown,
  report: Report,
  checkSecret: (path: string, value: unknown, rule: ConfigRule) => void,
): (AltchaOptions & { hmacKey?: CaptchaSecret }) | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    report('altcha', value, 'is not an object', 'an object of ALTCHA settings, e.g. { hmacKey }');
    return undefined;
  }
  checkSecret('altcha.hmacKey', value.hmacKey, hmacKeyRule);

  const { algorithm, cost, counter, expiresInSeconds, challengePath } = value;
  if (algorithm !== undefined && !(ALTCHA_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    report(
      'altcha.algorithm',
      algorithm,
      'is not a supported algorithm',
      ALTCHA_ALGORITHMS.join(', '),
    );
  }
  for (const [key, field, rule] of [
    ['cost', cost, costRule],
    ['expiresInSeconds', expiresInSeconds, expiresInSecondsRule],
  ] as const) {
    const problem = field === undefined ? undefined : rule.problem(field);
    if (problem !== undefined) report(`altcha.${key}`, field, problem, rule.accepted);
  }
  if (counter !== undefined) {
    const accepted = `[min, max], whole numbers with 1 ≤ min < max ≤ ${MAX_COUNTER}`;
    const pair =
      Array.isArray(counter) && counter.length === 2 ? (counter as unknown[]) : undefined;
    if (pair === undefined) {
      report('altcha.counter', counter, 'is not a [min, max] pair', accepted);
    } else if (!pair.every((n) => typeof n === 'number' && Number.isSafeInteger(n))) {
      report('altcha.counter', counter, 'does not hold two whole numbers', accepted);
    } else {
      const [min, max] = pair as [number, number];
      if (min < 1 || max > MAX_COUNTER)
        report('altcha.counter', counter, 'is out of range', accepted);
      else if (min >= max)
        report('altcha.counter', counter, 'has a min not below its max', accepted);
    }
  }
  if (challengePath !== undefined && challengePath !== false) {
    const problem = challengePathRule.problem(challengePath);
    if (problem !== undefined) {
      report('altcha.challengePath', challengePath, problem, challengePathRule.accepted);
    }
  }
  return value as AltchaOptions;
}
