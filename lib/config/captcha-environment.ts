import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationArguments } from 'class-validator';
import {
  type CaptchaProviderName,
  CAPTCHA_PROVIDER_NAMES,
} from '../contracts/captcha-provider-name';
import type { ClientIpHeader } from '../http/client-ip-resolver';
import {
  clientIpHeaderRule,
  type ConfigRule,
  fallbackMethodRule,
  fallbackProviderRule,
  failureModeRule,
  HIDDEN_VALUE,
  hmacKeyRule,
  hostnameRule,
  ipv6PrefixRule,
  isSupportedProvider,
  looksLikeUrl,
  maskUrlSecrets,
  minScoreRule,
  problemLine,
  projectIdRule,
  providerRule,
  redisUrlRule,
  secretKeyRule,
  siteKeyRule,
  splitList,
  type CaptchaStoreName,
  storeNameRule,
  timeoutMsRule,
  TRUST_PROXY_ACCEPTED,
  trustProxyEntryRule,
  verifyUrlRule,
  environmentRule,
} from './captcha-config-rules';
import type { CaptchaFailureMode } from './captcha-module-options.interface';
import { TEST_KEYS_ACCEPTED } from './check-test-keys';
import { hmacKeyWeakness } from './hmac-key-strength';
import { productionSignal } from './production-environment';
import { describeTestKey, matchTestKey } from '../cli/provider-test-keys';

/**
 * Every `CAPTCHA_*` environment variable the library reads, in the order problems are reported.
 */
export const CAPTCHA_ENV_VARIABLES = [
  'CAPTCHA_PROVIDER',
  'CAPTCHA_SITE_KEY',
  'CAPTCHA_SECRET_KEY',
  'CAPTCHA_PROJECT_ID',
  'CAPTCHA_VERIFY_URL',
  'CAPTCHA_TIMEOUT_MS',
  'CAPTCHA_FAILURE_MODE',
  'CAPTCHA_FALLBACK_PROVIDER',
  'CAPTCHA_FALLBACK_METHOD',
  'CAPTCHA_MIN_SCORE',
  'CAPTCHA_EXPECTED_HOSTNAMES',
  'CAPTCHA_TRUST_PROXY',
  'CAPTCHA_CLIENT_IP_HEADER',
  'CAPTCHA_IPV6_PREFIX',
  'CAPTCHA_STORE',
  'CAPTCHA_REDIS_URL',
  'CAPTCHA_ALTCHA_HMAC_KEY',
  'CAPTCHA_ENV',
  'CAPTCHA_ALLOW_TEST_KEYS',
] as const;

/** The name of one environment variable of the contract. */
export type CaptchaEnvVariable = (typeof CAPTCHA_ENV_VARIABLES)[number];

/** A raw value read, or what is wrong with it. */
export type EnvParseResult<T> =
  { ok: true; value: T } | { ok: false; problem: string; accepted: string };

/** How one variable is read: parsed when set, possibly required when unset. */
export interface EnvVariableSpec<T> {
  /**
   * The value is a secret (or may hold one): messages never show it. A function decides per
   * value, e.g. to hide a URL put in the wrong variable.
   */
  secret?: boolean | ((raw: string) => boolean);
  /** How the raw value is shown in messages; default: as it is, quoted. */
  show?(raw: string): string;
  parse(raw: string): EnvParseResult<T>;
  /** When unset: the problem ("not set, but …"), given the other variables. */
  whenUnset?(env: CaptchaEnvironment): { problem: string; accepted: string } | undefined;
  /** When set and parsed: a problem with the value given the other variables, if any. */
  whenSet?(value: T, env: CaptchaEnvironment): { problem: string; accepted: string } | undefined;
}

function ok<T>(value: T): EnvParseResult<T> {
  return { ok: true, value };
}

/** A variable whose raw string is checked as it is by `rule`. */
function byRule<T extends string = string>(rule: ConfigRule): (raw: string) => EnvParseResult<T> {
  return (raw) => {
    const problem = rule.problem(raw);
    return problem === undefined ? ok(raw as T) : { ok: false, problem, accepted: rule.accepted };
  };
}

function wholeNumber(rule: ConfigRule): (raw: string) => EnvParseResult<number> {
  return (raw) => {
    if (!/^[+-]?\d+$/.test(raw)) {
      return { ok: false, problem: 'is not a whole number', accepted: rule.accepted };
    }
    const value = Number(raw);
    const problem = rule.problem(value);
    return problem === undefined ? ok(value) : { ok: false, problem, accepted: rule.accepted };
  };
}

function decimalNumber(rule: ConfigRule): (raw: string) => EnvParseResult<number> {
  return (raw) => {
    if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw)) {
      return { ok: false, problem: 'is not a number', accepted: rule.accepted };
    }
    const value = Number(raw);
    const problem = rule.problem(value);
    return problem === undefined ? ok(value) : { ok: false, problem, accepted: rule.accepted };
  };
}

function quoteAll(entries: string[]): string {
  return entries.map((entry) => JSON.stringify(entry)).join(', ');
}

function parseHostnames(raw: string): EnvParseResult<string[]> {
  const accepted = 'a comma-separated list of hostnames, e.g. example.com,www.example.com';
  const entries = splitList(raw);
  if (entries.length === 0) return { ok: false, problem: 'contains no hostname', accepted };
  const bad = entries.filter((entry) => hostnameRule.problem(entry) !== undefined);
  if (bad.length > 0) {
    const what = bad.length === 1 ? 'an invalid hostname' : 'invalid hostnames';
    return { ok: false, problem: `contains ${what}: ${quoteAll(bad)}`, accepted };
  }
  return ok(entries.map((entry) => entry.toLowerCase()));
}

function parseTrustProxy(raw: string): EnvParseResult<boolean | number | string[]> {
  const accepted = TRUST_PROXY_ACCEPTED;
  if (raw === 'true') return ok(true);
  if (raw === 'false') return ok(false);
  if (/^[+-]?\d+$/.test(raw)) {
    const hops = Number(raw);
    return Number.isSafeInteger(hops) && hops >= 0
      ? ok(hops)
      : { ok: false, problem: 'is not a valid hop count', accepted };
  }
  const entries = splitList(raw);
  if (entries.length === 0) return { ok: false, problem: 'contains no address', accepted };
  const bad = entries.filter((entry) => trustProxyEntryRule.problem(entry) !== undefined);
  if (bad.length > 0) {
    const what =
      bad.length === 1
        ? 'an entry that is not an IP address, CIDR range or proxy name'
        : 'entries that are not IP addresses, CIDR ranges or proxy names';
    return {
      ok: false,
      problem: `contains ${what}: ${quoteAll(bad)}`,
      accepted,
    };
  }
  return ok(entries);
}

/** `CAPTCHA_CLIENT_IP_HEADER`: a known header name in any case, read in lower case. */
function parseClientIpHeader(raw: string): EnvParseResult<ClientIpHeader> {
  const problem = clientIpHeaderRule.problem(raw);
  return problem === undefined
    ? ok(raw.toLowerCase() as ClientIpHeader)
    : { ok: false, problem, accepted: clientIpHeaderRule.accepted };
}

/** `CAPTCHA_IPV6_PREFIX`: `56` or `/56`. */
function parseIpv6Prefix(raw: string): EnvParseResult<number> {
  return wholeNumber(ipv6PrefixRule)(raw.startsWith('/') ? raw.slice(1) : raw);
}

function providerOf(env: CaptchaEnvironment): CaptchaProviderName | undefined {
  const provider = env.CAPTCHA_PROVIDER ?? 'altcha';
  return isSupportedProvider(provider) ? provider : undefined;
}

function fallbackProviderOf(env: CaptchaEnvironment): CaptchaProviderName | undefined {
  const fallback = env.CAPTCHA_FALLBACK_PROVIDER;
  return isSupportedProvider(fallback) ? fallback : undefined;
}

function requiredByProvider(what: string) {
  return (env: CaptchaEnvironment) => {
    const provider = providerOf(env);
    if (provider === undefined || provider === 'altcha') return undefined;
    return {
      problem: `not set, but provider "${provider}" requires it`,
      accepted: `the ${what} issued by ${provider}`,
    };
  };
}

/** `NODE_ENV` or `CAPTCHA_ENV` saying production (any casing, trimmed), as a message fragment. */
function productionOf(env: CaptchaEnvironment): string | undefined {
  return productionSignal({ captchaEnv: env.CAPTCHA_ENV, nodeEnv: env.NODE_ENV });
}

/** A public test key in production, unless `CAPTCHA_ALLOW_TEST_KEYS=true` (staging). */
function refuseTestKey(kind: 'site key' | 'secret') {
  return (value: string, env: CaptchaEnvironment) => {
    const match = matchTestKey(kind, value);
    const production = productionOf(env);
    if (match === undefined || production === undefined) return undefined;
    const allowed = parseAllowTestKeys(env.CAPTCHA_ALLOW_TEST_KEYS ?? 'false');
    if (allowed.ok && allowed.value) return undefined;
    return {
      problem: `${describeTestKey(match)}: test keys answer fixed verdicts and protect nothing, so they are refused in production (${production})`,
      accepted: TEST_KEYS_ACCEPTED,
    };
  };
}

/** `CAPTCHA_ALLOW_TEST_KEYS`: `true` or `false`, in any casing. */
function parseAllowTestKeys(raw: string): EnvParseResult<boolean> {
  const value = raw.toLowerCase();
  if (value === 'true') return ok(true);
  if (value === 'false') return ok(false);
  return {
    ok: false,
    problem: 'is not true or false',
    accepted: 'true (staging only: public test keys are allowed in production) or false',
  };
}

/** A variable holding a value (blank ones are reported on their own). */
function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/**
 * `CAPTCHA_PROVIDER` unset while keys are set: without it the provider is ALTCHA, which uses
 * neither key, so the keys would be ignored silently.
 */
function providerForKeys(env: CaptchaEnvironment) {
  const keys = (['CAPTCHA_SITE_KEY', 'CAPTCHA_SECRET_KEY'] as const).filter((name) =>
    isSet(env[name]),
  );
  if (keys.length === 0) return undefined;
  const which = keys.length === 2 ? `${keys[0]} and ${keys[1]} are` : `${keys[0]} is`;
  return {
    problem: `not set, but ${which}: without it the provider would be altcha, which uses no site or secret key`,
    accepted: `the provider that issued the keys: ${CAPTCHA_PROVIDER_NAMES.filter((name) => name !== 'altcha').join(', ')}`,
  };
}

/** A site or secret key with `CAPTCHA_PROVIDER=altcha` set explicitly: ALTCHA would ignore it. */
function keyUnusedByAltcha(kind: 'site key' | 'secret') {
  return (_value: string, env: CaptchaEnvironment) =>
    env.CAPTCHA_PROVIDER === 'altcha'
      ? {
          problem: `is set, but provider "altcha" uses no ${kind} (its key is CAPTCHA_ALTCHA_HMAC_KEY)`,
          accepted: `no value with CAPTCHA_PROVIDER=altcha, or CAPTCHA_PROVIDER set to the provider that issued the ${kind}`,
        }
      : undefined;
}

/** What the fallback variables accept, for the line asking for one of them. */
const FALLBACK_VARIABLES_ACCEPTED =
  `CAPTCHA_FALLBACK_PROVIDER set to a provider other than CAPTCHA_PROVIDER (${fallbackProviderRule.accepted}; ` +
  'one that needs keys also needs options.fallback.siteKey and secretKey), or CAPTCHA_FALLBACK_METHOD set to ' +
  fallbackMethodRule.accepted;

/** How each variable of the contract is read. */
export const CAPTCHA_ENV_SPECS = {
  CAPTCHA_PROVIDER: {
    parse: byRule<CaptchaProviderName>(providerRule),
    whenUnset: providerForKeys,
  },
  CAPTCHA_SITE_KEY: {
    parse: byRule(siteKeyRule),
    whenUnset: requiredByProvider('site key'),
    whenSet: (value: string, env: CaptchaEnvironment) =>
      keyUnusedByAltcha('site key')(value, env) ?? refuseTestKey('site key')(value, env),
  },
  CAPTCHA_SECRET_KEY: {
    secret: true,
    parse: byRule(secretKeyRule),
    whenUnset: requiredByProvider('secret key'),
    whenSet: (value: string, env: CaptchaEnvironment) =>
      keyUnusedByAltcha('secret')(value, env) ?? refuseTestKey('secret')(value, env),
  },
  CAPTCHA_PROJECT_ID: {
    parse: byRule(projectIdRule),
    whenUnset: (env: CaptchaEnvironment) => {
      const who =
        providerOf(env) === 'recaptcha-enterprise'
          ? 'provider "recaptcha-enterprise"'
          : fallbackProviderOf(env) === 'recaptcha-enterprise'
            ? 'fallback provider "recaptcha-enterprise" (CAPTCHA_FALLBACK_PROVIDER)'
            : undefined;
      return (
        who && { problem: `not set, but ${who} requires it`, accepted: projectIdRule.accepted }
      );
    },
  },
  CAPTCHA_VERIFY_URL: { show: maskUrlSecrets, parse: byRule(verifyUrlRule) },
  CAPTCHA_TIMEOUT_MS: { parse: wholeNumber(timeoutMsRule) },
  CAPTCHA_FAILURE_MODE: { parse: byRule<CaptchaFailureMode>(failureModeRule) },
  CAPTCHA_FALLBACK_PROVIDER: {
    parse: byRule<CaptchaProviderName>(fallbackProviderRule),
    whenSet: (fallback: CaptchaProviderName, env: CaptchaEnvironment) => {
      const provider = providerOf(env);
      if (provider === undefined || fallback !== provider) return undefined;
      return {
        problem: `is the same as the provider (CAPTCHA_PROVIDER${env.CAPTCHA_PROVIDER === undefined ? ', default altcha' : ''})`,
        accepted: `a provider other than CAPTCHA_PROVIDER: ${CAPTCHA_PROVIDER_NAMES.filter((name) => name !== provider).join(', ')}`,
      };
    },
    whenUnset: (env: CaptchaEnvironment) =>
      env.CAPTCHA_FAILURE_MODE === 'fallback' && env.CAPTCHA_FALLBACK_METHOD === undefined
        ? {
            problem:
              'not set, nor is CAPTCHA_FALLBACK_METHOD, but CAPTCHA_FAILURE_MODE=fallback requires one of them',
            accepted: FALLBACK_VARIABLES_ACCEPTED,
          }
        : undefined,
  },
  CAPTCHA_FALLBACK_METHOD: {
    parse: byRule(fallbackMethodRule),
    whenSet: (_method: string, env: CaptchaEnvironment) =>
      !isSet(env.CAPTCHA_FALLBACK_PROVIDER)
        ? undefined
        : {
            problem: 'is set together with CAPTCHA_FALLBACK_PROVIDER',
            accepted:
              'one of CAPTCHA_FALLBACK_PROVIDER (a second provider) or CAPTCHA_FALLBACK_METHOD (a method of your app), not both',
          },
  },
  CAPTCHA_MIN_SCORE: { parse: decimalNumber(minScoreRule) },
  CAPTCHA_EXPECTED_HOSTNAMES: { parse: parseHostnames },
  CAPTCHA_TRUST_PROXY: { parse: parseTrustProxy },
  // That a header needs CAPTCHA_TRUST_PROXY is checked on the final options (resolveCaptchaOptions):
  // code may add `trustProxy` to the options built from the environment.
  CAPTCHA_CLIENT_IP_HEADER: { parse: parseClientIpHeader },
  CAPTCHA_IPV6_PREFIX: { parse: parseIpv6Prefix },
  CAPTCHA_STORE: {
    // A Redis URL put here by mistake may hold a password.
    secret: looksLikeUrl,
    parse: byRule<CaptchaStoreName>(storeNameRule),
  },
  CAPTCHA_REDIS_URL: {
    secret: true,
    parse: byRule(redisUrlRule),
    whenUnset: (env: CaptchaEnvironment) =>
      env.CAPTCHA_STORE === 'redis'
        ? {
            problem: 'not set, but CAPTCHA_STORE=redis requires it',
            accepted: redisUrlRule.accepted,
          }
        : undefined,
  },
  CAPTCHA_ALTCHA_HMAC_KEY: {
    secret: true,
    parse: byRule(hmacKeyRule),
    whenUnset: (env: CaptchaEnvironment) => {
      const fallback = fallbackProviderOf(env);
      if (providerOf(env) !== 'altcha' && fallback !== 'altcha') return undefined;
      const production = productionOf(env);
      if (production === undefined) return undefined;
      const who =
        providerOf(env) === 'altcha'
          ? 'provider "altcha"'
          : 'fallback provider "altcha" (CAPTCHA_FALLBACK_PROVIDER)';
      return {
        problem: `not set, but ${who} requires it in production (${production})`,
        accepted: hmacKeyRule.accepted,
      };
    },
    // In production a placeholder or patterned key is refused (the reason never quotes it).
    whenSet: (key: string, env: CaptchaEnvironment) => {
      const production = productionOf(env);
      const weakness = production === undefined ? undefined : hmacKeyWeakness(key);
      if (weakness === undefined) return undefined;
      return {
        problem: `is a weak key (${weakness}), refused in production (${production})`,
        accepted: hmacKeyRule.accepted,
      };
    },
  },
  CAPTCHA_ENV: { parse: byRule(environmentRule) },
  CAPTCHA_ALLOW_TEST_KEYS: { parse: parseAllowTestKeys },
} satisfies Record<CaptchaEnvVariable, EnvVariableSpec<unknown>>;

/**
 * Trimmed text; absent values are `undefined` (unset). A blank value (empty or whitespace only)
 * stays `''`, which validation refuses: `CAPTCHA_SECRET_KEY=` is a mistake (an unset shell
 * variable in a compose file, a half-filled .env), not a request for the default.
 */
function normalizeEnvValue(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return typeof value === 'string' ? value.trim() : value;
}

/** `NODE_ENV`, which is only read: blank means unset. */
function normalizeNodeEnv(value: unknown): unknown {
  const normalized = normalizeEnvValue(value);
  return normalized === '' ? undefined : normalized;
}

/** The message line for one variable, or `undefined` when its value is fine. */
export function envProblem(
  name: CaptchaEnvVariable,
  value: unknown,
  env: CaptchaEnvironment,
): string | undefined {
  const spec: EnvVariableSpec<unknown> = CAPTCHA_ENV_SPECS[name];
  if (value === undefined) {
    const unset = spec.whenUnset?.(env);
    return unset && `${name}: ${unset.problem}; accepted: ${unset.accepted}`;
  }
  if (typeof value !== 'string') {
    const shown = spec.secret === true ? HIDDEN_VALUE : 'the value';
    return `${name}: ${shown} is not text; accepted: a string`;
  }
  const result = spec.parse(value);
  if (value === '') {
    const accepted = result.ok ? 'a value' : result.accepted;
    return `${name}: is set but blank, which is not the same as unset: give it a value or remove it; accepted: ${accepted}`;
  }
  const problem = result.ok ? spec.whenSet?.(result.value, env) : result;
  if (problem === undefined) return undefined;
  const shown = spec.show ? spec.show(value) : value;
  const secret = typeof spec.secret === 'function' ? spec.secret(value) : spec.secret;
  return problemLine(name, shown, problem.problem, problem.accepted, secret);
}

/** Normalizes a variable on `plainToInstance` and checks it on `validateSync`. */
function EnvVariable(): PropertyDecorator {
  return (target, propertyKey) => {
    Transform(({ value }) => normalizeEnvValue(value))(target, propertyKey);
    const problemOf = (args: ValidationArguments) =>
      envProblem(
        args.property as CaptchaEnvVariable,
        args.value,
        args.object as CaptchaEnvironment,
      );
    ValidateBy({
      name: 'captchaEnvironmentVariable',
      validator: {
        validate: (_value: unknown, args?: ValidationArguments) =>
          args === undefined || problemOf(args) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          (args && problemOf(args)) ?? 'invalid value',
      },
    })(target, propertyKey);
  };
}

/**
 * The environment schema: the variables of the contract as `plainToInstance` reads them (trimmed;
 * a blank value is an error, not unset) and `validateSync` checks them, one message line per bad variable. Parsed
 * values come from {@link CAPTCHA_ENV_SPECS}. Internal: use `captchaOptionsFromEnv`.
 */
export class CaptchaEnvironment {
  @EnvVariable() CAPTCHA_PROVIDER?: string;
  @EnvVariable() CAPTCHA_SITE_KEY?: string;
  @EnvVariable() CAPTCHA_SECRET_KEY?: string;
  /** reCAPTCHA Enterprise's Google Cloud project. */
  @EnvVariable() CAPTCHA_PROJECT_ID?: string;
  @EnvVariable() CAPTCHA_VERIFY_URL?: string;
  @EnvVariable() CAPTCHA_TIMEOUT_MS?: string;
  @EnvVariable() CAPTCHA_FAILURE_MODE?: string;
  @EnvVariable() CAPTCHA_FALLBACK_PROVIDER?: string;
  @EnvVariable() CAPTCHA_FALLBACK_METHOD?: string;
  @EnvVariable() CAPTCHA_MIN_SCORE?: string;
  @EnvVariable() CAPTCHA_EXPECTED_HOSTNAMES?: string;
  @EnvVariable() CAPTCHA_TRUST_PROXY?: string;
  @EnvVariable() CAPTCHA_CLIENT_IP_HEADER?: string;
  @EnvVariable() CAPTCHA_IPV6_PREFIX?: string;
  @EnvVariable() CAPTCHA_STORE?: string;
  @EnvVariable() CAPTCHA_REDIS_URL?: string;
  @EnvVariable() CAPTCHA_ALTCHA_HMAC_KEY?: string;
  @EnvVariable() CAPTCHA_ENV?: string;
  /** Staging only: public test keys allowed in production. */
  @EnvVariable() CAPTCHA_ALLOW_TEST_KEYS?: string;

  /** Read only to refuse a random ALTCHA key in production; not validated. */
  @Transform(({ value }) => normalizeNodeEnv(value))
  NODE_ENV?: string;
}
