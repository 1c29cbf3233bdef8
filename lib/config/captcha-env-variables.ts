import {
  environmentRule,
  failureModeRule,
  fallbackMethodRule,
  fallbackProviderRule,
  hmacKeyRule,
  looksLikeUrl,
  maskUrlSecrets,
  minScoreRule,
  projectIdRule,
  providerRule,
  redisUrlRule,
  secretKeyRule,
  siteKeyRule,
  splitList,
  storeNameRule,
  timeoutMsRule,
  verifyUrlRule,
} from './captcha-config-rules';
import { STEP_UP_PROVIDER_ACCEPTED } from './step-up-provider-rule';
import { clientIpHeaderRule, ipv6PrefixRule, TRUST_PROXY_ACCEPTED } from './network-value-rules';
import {
  CLEARANCE_ACTIONS_ACCEPTED,
  clearanceTtlRule,
  clearanceUsesRule,
} from './clearance-value-rules';

/**
 * Every `CAPTCHA_*` environment variable the library reads, in the order problems are reported.
 * @internal
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
  'CAPTCHA_STEP_UP_PROVIDER',
  'CAPTCHA_STEP_UP_SITE_KEY',
  'CAPTCHA_STEP_UP_SECRET_KEY',
  'CAPTCHA_CLEARANCE_TTL',
  'CAPTCHA_CLEARANCE_USES',
  'CAPTCHA_CLEARANCE_KEY',
  'CAPTCHA_CLEARANCE_ACTIONS',
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

/** The name of one environment variable of the contract. @internal */
export type CaptchaEnvVariable = (typeof CAPTCHA_ENV_VARIABLES)[number];

/** A raw value parsed into an option value, or why it cannot be. @internal */
export type EnvParseResult =
  { ok: true; value: unknown } | { ok: false; problem: string; accepted: string };

/**
 * How one variable becomes an option: where it goes (`path` in `CaptchaModuleOptions`) and how its
 * text is parsed. Only the text is judged here (a number that is not one, a list without entries);
 * whether the value is acceptable is the options rules' business (`captcha-option-rules.ts`).
 * @internal
 */
export interface EnvVariableSpec {
  /** The option it sets, e.g. `timeoutMs`, `altcha.hmacKey`. */
  path: string;
  /** What it accepts, for the messages of this layer (blank, not text, not parseable). */
  accepted: string;
  /** Default: the text as it is. */
  parse?(raw: string): EnvParseResult;
  /** The value is a secret (or may hold one, when a function says so): messages never show it. */
  secret?: boolean | ((raw: string) => boolean);
  /** How the raw value is shown in messages; default: as it is, quoted. */
  show?(raw: string): string;
}

const ok = (value: unknown): EnvParseResult => ({ ok: true, value });

function wholeNumber(accepted: string) {
  return (raw: string): EnvParseResult =>
    /^[+-]?\d+$/.test(raw)
      ? ok(Number(raw))
      : { ok: false, problem: 'is not a whole number', accepted };
}

function decimalNumber(accepted: string) {
  return (raw: string): EnvParseResult =>
    /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw)
      ? ok(Number(raw))
      : { ok: false, problem: 'is not a number', accepted };
}

const HOSTNAMES_ACCEPTED = 'a comma-separated list of hostnames, e.g. example.com,www.example.com';

/** `true`, `false`, a hop count, or a list (its entries are checked by the options rules). */
function parseTrustProxy(raw: string): EnvParseResult {
  if (raw === 'true') return ok(true);
  if (raw === 'false') return ok(false);
  if (/^[+-]?\d+$/.test(raw)) return ok(Number(raw));
  const entries = splitList(raw);
  return entries.length === 0
    ? { ok: false, problem: 'contains no address', accepted: TRUST_PROXY_ACCEPTED }
    : ok(raw);
}

const ALLOW_TEST_KEYS_ACCEPTED =
  'true (staging only: public test keys are allowed in production) or false';

/** How each variable of the contract is read. @internal */
export const CAPTCHA_ENV_SPECS = {
  CAPTCHA_PROVIDER: { path: 'provider', accepted: providerRule.accepted },
  CAPTCHA_SITE_KEY: { path: 'siteKey', accepted: siteKeyRule.accepted },
  CAPTCHA_SECRET_KEY: { path: 'secretKey', accepted: secretKeyRule.accepted, secret: true },
  CAPTCHA_PROJECT_ID: { path: 'projectId', accepted: projectIdRule.accepted },
  CAPTCHA_VERIFY_URL: { path: 'verifyUrl', accepted: verifyUrlRule.accepted, show: maskUrlSecrets },
  CAPTCHA_TIMEOUT_MS: {
    path: 'timeoutMs',
    accepted: timeoutMsRule.accepted,
    parse: wholeNumber(timeoutMsRule.accepted),
  },
  CAPTCHA_FAILURE_MODE: { path: 'failureMode', accepted: failureModeRule.accepted },
  CAPTCHA_FALLBACK_PROVIDER: { path: 'fallback.provider', accepted: fallbackProviderRule.accepted },
  CAPTCHA_FALLBACK_METHOD: { path: 'fallback.method', accepted: fallbackMethodRule.accepted },
  CAPTCHA_STEP_UP_PROVIDER: { path: 'stepUp.provider', accepted: STEP_UP_PROVIDER_ACCEPTED },
  CAPTCHA_STEP_UP_SITE_KEY: { path: 'stepUp.siteKey', accepted: siteKeyRule.accepted },
  CAPTCHA_STEP_UP_SECRET_KEY: {
    path: 'stepUp.secretKey',
    accepted: secretKeyRule.accepted,
    secret: true,
  },
  CAPTCHA_CLEARANCE_TTL: {
    path: 'clearance.ttlSeconds',
    accepted: clearanceTtlRule.accepted,
    parse: wholeNumber(clearanceTtlRule.accepted),
  },
  CAPTCHA_CLEARANCE_USES: {
    path: 'clearance.uses',
    accepted: clearanceUsesRule.accepted,
    parse: wholeNumber(clearanceUsesRule.accepted),
  },
  CAPTCHA_CLEARANCE_KEY: { path: 'clearance.key', accepted: hmacKeyRule.accepted, secret: true },
  CAPTCHA_CLEARANCE_ACTIONS: {
    path: 'clearance.actions',
    accepted: CLEARANCE_ACTIONS_ACCEPTED,
    parse: (raw: string): EnvParseResult => {
      const entries = splitList(raw);
      return entries.length === 0
        ? { ok: false, problem: 'contains no action', accepted: CLEARANCE_ACTIONS_ACCEPTED }
        : ok(entries);
    },
  },
  CAPTCHA_MIN_SCORE: {
    path: 'minScore',
    accepted: minScoreRule.accepted,
    parse: decimalNumber(minScoreRule.accepted),
  },
  CAPTCHA_EXPECTED_HOSTNAMES: {
    path: 'expectedHostnames',
    accepted: HOSTNAMES_ACCEPTED,
    parse: (raw: string): EnvParseResult => {
      const entries = splitList(raw);
      return entries.length === 0
        ? { ok: false, problem: 'contains no hostname', accepted: HOSTNAMES_ACCEPTED }
        : ok(entries);
    },
  },
  CAPTCHA_TRUST_PROXY: {
    path: 'trustProxy',
    accepted: TRUST_PROXY_ACCEPTED,
    parse: parseTrustProxy,
  },
  CAPTCHA_CLIENT_IP_HEADER: { path: 'clientIpHeader', accepted: clientIpHeaderRule.accepted },
  CAPTCHA_IPV6_PREFIX: {
    path: 'ipv6Prefix',
    accepted: ipv6PrefixRule.accepted,
    // `56` or `/56`.
    parse: (raw: string) =>
      wholeNumber(ipv6PrefixRule.accepted)(raw.startsWith('/') ? raw.slice(1) : raw),
  },
  // A Redis URL put in CAPTCHA_STORE by mistake may hold a password.
  CAPTCHA_STORE: { path: 'store', accepted: storeNameRule.accepted, secret: looksLikeUrl },
  CAPTCHA_REDIS_URL: { path: 'redis.url', accepted: redisUrlRule.accepted, secret: true },
  CAPTCHA_ALTCHA_HMAC_KEY: { path: 'altcha.hmacKey', accepted: hmacKeyRule.accepted, secret: true },
  CAPTCHA_ENV: { path: 'environment', accepted: environmentRule.accepted },
  CAPTCHA_ALLOW_TEST_KEYS: {
    path: 'allowTestKeys',
    accepted: ALLOW_TEST_KEYS_ACCEPTED,
    parse: (raw: string): EnvParseResult => {
      const value = raw.toLowerCase();
      if (value === 'true' || value === 'false') return ok(value === 'true');
      return { ok: false, problem: 'is not true or false', accepted: ALLOW_TEST_KEYS_ACCEPTED };
    },
  },
} satisfies Record<CaptchaEnvVariable, EnvVariableSpec>;

/** The variable that sets the option at `path` (`altcha.hmacKey` → `CAPTCHA_ALTCHA_HMAC_KEY`). @internal */
export function envVariableOf(path: string): CaptchaEnvVariable | undefined {
  return CAPTCHA_ENV_VARIABLES.find((name) => CAPTCHA_ENV_SPECS[name].path === path);
}
