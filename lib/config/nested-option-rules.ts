import { CAPTCHA_PROVIDER_NAMES } from '../contracts/captcha-provider-name';
import {
  circuitHalfOpenAfterRule,
  circuitThresholdRule,
  fallbackMethodRule,
  fallbackProviderRule,
  isSupportedProvider,
  looksLikeUrl,
  maskUrlSecrets,
  memoryMaxClaimsRule,
  memoryMaxEntriesRule,
  redisCommandTimeoutRule,
  redisKeyPrefixRule,
  redisUrlRule,
  secretKeyRule,
  siteKeyRule,
  splitList,
  STORE_NAMES,
  storeNameRule,
  verifyUrlRule,
} from './captcha-config-rules';
import { TRUST_PROXY_ACCEPTED, trustProxyEntryRule } from './network-value-rules';
import { isPlainObject } from './config-problem';
import type { RuleContext } from './rule-context';

// The rules of the options that hold objects or several forms (see CAPTCHA_OPTION_RULES).

/** The methods every `CaptchaStore` has. */
const STORE_METHODS = ['increment', 'decrement', 'count', 'reset', 'claim', 'release'] as const;
/** The methods of an ioredis client the Redis store calls. */
const REDIS_CLIENT_METHODS = ['eval', 'set', 'get', 'del'] as const;

const missingMethods = (value: Record<string, unknown>, methods: readonly string[]) =>
  methods.filter((method) => typeof value[method] !== 'function');

/** The settings only a fallback provider has. */
const FALLBACK_PROVIDER_FIELDS = ['siteKey', 'secretKey', 'verifyUrl'] as const;

/** `fallback`: a second provider (with its keys unless ALTCHA) or a method of the app. @internal */
export function checkFallback(value: unknown, ctx: RuleContext): void {
  if (value === undefined) return;
  const { source } = ctx;
  if (!isPlainObject(value))
    return ctx.report('fallback', value, 'is not an object', ctx.fallbackAccepted);
  const { provider, method, siteKey, secretKey, verifyUrl } = value;
  if (provider !== undefined && method !== undefined) {
    return ctx.report(
      'fallback.method',
      method,
      `is set together with ${source.name('fallback.provider')}`,
      `one of ${source.name('fallback.provider')} (a second provider) or ${source.name('fallback.method')} (a method of your app), not both`,
    );
  }
  if (provider === undefined && method === undefined) {
    return ctx.report('fallback', value, 'sets neither provider nor method', ctx.fallbackAccepted);
  }
  if (method !== undefined) {
    ctx.check('fallback.method', method, fallbackMethodRule);
    for (const key of FALLBACK_PROVIDER_FIELDS) {
      const field = value[key];
      if (field === undefined) continue;
      ctx.report(
        `fallback.${key}`,
        key === 'verifyUrl' && typeof field === 'string' ? maskUrlSecrets(field) : field,
        'is set with fallback.method',
        `${FALLBACK_PROVIDER_FIELDS.join(', ')} only with fallback.provider`,
        key === 'secretKey',
      );
    }
    return;
  }
  ctx.check('fallback.provider', provider, fallbackProviderRule);
  ctx.check('fallback.siteKey', siteKey, siteKeyRule);
  ctx.checkSecret('fallback.secretKey', secretKey, secretKeyRule);
  const shownUrl = typeof verifyUrl === 'string' ? maskUrlSecrets(verifyUrl) : verifyUrl;
  ctx.check('fallback.verifyUrl', verifyUrl, verifyUrlRule, shownUrl);
  if (!isSupportedProvider(provider)) return;
  if (provider === ctx.provider) {
    const byDefault = ctx.given.provider === undefined ? ', default altcha' : '';
    return ctx.report(
      'fallback.provider',
      provider,
      `is the same as the provider (${source.name('provider')}${byDefault})`,
      `a provider other than ${source.name('provider')}: ${CAPTCHA_PROVIDER_NAMES.filter((name) => name !== provider).join(', ')}`,
    );
  }
  // No variable sets a fallback provider's keys: code completes the options built from them.
  if (provider === 'altcha' || source.kind === 'env') return;
  if (secretKey === undefined) {
    ctx.missing(
      'fallback.secretKey',
      `fallback provider "${provider}" requires it (no environment variable sets it)`,
      `the secret key issued by ${provider}, as a string or a function returning it`,
    );
  }
  if (siteKey === undefined) {
    ctx.missing(
      'fallback.siteKey',
      `fallback provider "${provider}" requires it (no environment variable sets it)`,
      `the site key issued by ${provider}`,
    );
  }
}

/** `circuitBreaker`: `false`, or its threshold and half-open delay. @internal */
export function checkCircuitBreaker(value: unknown, ctx: RuleContext): void {
  if (value === undefined || value === false) return;
  if (!isPlainObject(value)) {
    return ctx.report(
      'circuitBreaker',
      value,
      'is not an object or false',
      'false (no circuit breaker), or an object { threshold?, halfOpenAfterMs? }, e.g. { threshold: 5, halfOpenAfterMs: 30000 }',
    );
  }
  ctx.check('circuitBreaker.threshold', value.threshold, circuitThresholdRule);
  ctx.check('circuitBreaker.halfOpenAfterMs', value.halfOpenAfterMs, circuitHalfOpenAfterRule);
}

/** `metrics`: a backend name or `false`. @internal */
export function checkMetrics(value: unknown, ctx: RuleContext): void {
  const backends: unknown[] = ['auto', 'prometheus', 'opentelemetry', 'both', false];
  if (value !== undefined && !backends.includes(value)) {
    ctx.report(
      'metrics',
      value,
      'is not a metrics backend',
      "'auto', 'prometheus', 'opentelemetry', 'both' or false",
    );
  }
}

/** `auditSink`: an object with `emit`. @internal */
export function checkAuditSink(value: unknown, ctx: RuleContext): void {
  if (value === undefined) return;
  const accepted = 'an object with an emit(event) method, e.g. { emit: (event) => log(event) }';
  if (!isPlainObject(value)) ctx.report('auditSink', value, 'is not an audit sink', accepted);
  else if (typeof value.emit !== 'function') {
    ctx.report('auditSink', value, 'is not an audit sink: it lacks emit', accepted);
  }
}

/** What `dispatcher` accepts (also named when the retired `httpAgents` is set). @internal */
export const DISPATCHER_ACCEPTED =
  "an undici Dispatcher, e.g. new Agent({ keepAliveTimeout: 30000 }) or new ProxyAgent('http://proxy:3128')";

/** `dispatcher`: an undici Dispatcher, i.e. an object with a `dispatch` method. @internal */
export function checkDispatcher(value: unknown, ctx: RuleContext): void {
  if (value !== undefined && (!isPlainObject(value) || typeof value.dispatch !== 'function')) {
    ctx.report(
      'dispatcher',
      value,
      isPlainObject(value) ? 'is not a dispatcher: it lacks dispatch' : 'is not a dispatcher',
      DISPATCHER_ACCEPTED,
    );
  }
}

/** A function option, when set. @internal */
export function checkFunction(
  path: string,
  value: unknown,
  accepted: string,
  ctx: RuleContext,
): void {
  if (value !== undefined && typeof value !== 'function') {
    ctx.report(path, value, 'is not a function', accepted);
  }
}

/** `stripTokenFields`: a boolean or field names. @internal */
export function checkStripTokenFields(value: unknown, ctx: RuleContext): void {
  const fieldNames = Array.isArray(value) && value.every((field) => typeof field === 'string');
  if (value !== undefined && typeof value !== 'boolean' && !fieldNames) {
    ctx.report(
      'stripTokenFields',
      value,
      'is not a boolean or a list of field names',
      "true, false, or the body fields to remove, e.g. ['recaptcha']",
    );
  }
}

/** `store`: a name, or an object with every `CaptchaStore` method. @internal */
export function checkStore(value: unknown, ctx: RuleContext): void {
  if (value === undefined || (STORE_NAMES as readonly unknown[]).includes(value)) return;
  const accepted =
    ctx.source.kind === 'env'
      ? storeNameRule.accepted
      : `${storeNameRule.accepted}, or a CaptchaStore: an object with the methods ${STORE_METHODS.join(', ')}`;
  if (typeof value === 'string') {
    // A Redis URL put here by mistake may hold a password.
    const problem = storeNameRule.problem(value) ?? 'is not a store';
    return ctx.report('store', value, problem, accepted, looksLikeUrl(value));
  }
  if (!isPlainObject(value)) return ctx.report('store', value, 'is not a store', accepted);
  const missing = missingMethods(value, STORE_METHODS);
  if (missing.length > 0) {
    ctx.report('store', value, `is not a CaptchaStore: it lacks ${missing.join(', ')}`, accepted);
  }
}

/** `memory`: the memory store's bounds. @internal */
export function checkMemory(value: unknown, ctx: RuleContext): void {
  if (value === undefined) return;
  if (!isPlainObject(value)) {
    const accepted = 'an object of memory store settings, e.g. { maxEntries: 100000 }';
    return ctx.report('memory', value, 'is not an object', accepted);
  }
  ctx.check('memory.maxEntries', value.maxEntries, memoryMaxEntriesRule);
  ctx.check('memory.maxClaims', value.maxClaims, memoryMaxClaimsRule);
}

/** `redis`: a URL (never shown) or a client, not both; and `store: 'redis'` needs one. @internal */
export function checkRedis(value: unknown, ctx: RuleContext): void {
  if (value !== undefined && !isPlainObject(value)) {
    const accepted = "an object of Redis store settings, e.g. { url: 'redis://cache:6379' }";
    return ctx.report('redis', value, 'is not an object', accepted, typeof value === 'string');
  }
  const { url, client, keyPrefix, commandTimeoutMs } = value ?? {};
  if (url !== undefined) {
    const problem = redisUrlRule.problem(url);
    if (problem !== undefined) ctx.report('redis.url', url, problem, redisUrlRule.accepted, true);
  }
  if (client !== undefined) {
    const accepted = `an ioredis Redis or Cluster client (an object with the methods ${REDIS_CLIENT_METHODS.join(', ')})`;
    const missing = isPlainObject(client) ? missingMethods(client, REDIS_CLIENT_METHODS) : [];
    if (!isPlainObject(client)) {
      ctx.report(
        'redis.client',
        client,
        'is not a Redis client',
        accepted,
        typeof client === 'string',
      );
    } else if (missing.length > 0) {
      ctx.report(
        'redis.client',
        client,
        `is not a Redis client: it lacks ${missing.join(', ')}`,
        accepted,
      );
    }
  }
  if (url !== undefined && client !== undefined) {
    ctx.report(
      'redis',
      value,
      'sets both url and client',
      'one of url (the store creates and closes its client) or client (yours, never closed by the store)',
    );
  }
  ctx.check('redis.keyPrefix', keyPrefix, redisKeyPrefixRule);
  ctx.check('redis.commandTimeoutMs', commandTimeoutMs, redisCommandTimeoutRule);
  if (ctx.given.store === 'redis' && url === undefined && client === undefined) {
    const orClient = ctx.source.kind === 'options' ? ' or options.redis.client' : '';
    ctx.problems.push(
      `${ctx.source.subject('redis.url')}${orClient}: not set, but store "redis" (${ctx.source.name('store')}) requires it; ` +
        `accepted: ${redisUrlRule.accepted}${orClient ? ', or an ioredis Redis or Cluster client' : ''}`,
    );
  }
}

/** `trustProxy`: a boolean, a hop count, or addresses (a comma-separated string or a list). @internal */
export function checkTrustProxy(value: unknown, ctx: RuleContext): void {
  if (value === undefined || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      ctx.report('trustProxy', value, 'is not a valid hop count', TRUST_PROXY_ACCEPTED);
    }
    return;
  }
  if (typeof value === 'string') {
    const entries = splitList(value);
    if (entries.length === 0)
      ctx.report('trustProxy', value, 'contains no address', TRUST_PROXY_ACCEPTED);
    const bad = entries.filter((entry) => trustProxyEntryRule.problem(entry) !== undefined);
    if (bad.length === 0) return;
    const what =
      bad.length === 1
        ? 'an entry that is not an IP address, CIDR range or proxy name'
        : 'entries that are not IP addresses, CIDR ranges or proxy names';
    const quoted = bad.map((entry) => JSON.stringify(entry)).join(', ');
    return ctx.report('trustProxy', value, `contains ${what}: ${quoted}`, TRUST_PROXY_ACCEPTED);
  }
  if (!Array.isArray(value))
    return ctx.report('trustProxy', value, 'is not a trust setting', TRUST_PROXY_ACCEPTED);
  value.forEach((entry: unknown, i) => ctx.check(`trustProxy[${i}]`, entry, trustProxyEntryRule));
}
