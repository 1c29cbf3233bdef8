// The one place the configuration rules and their messages live: CAPTCHA_OPTION_RULES has a rule
// for every key of CaptchaModuleOptions (TypeScript refuses a missing one), including the rules
// between options. resolveCaptchaOptions runs it on options written in code, captchaOptionsFromEnv
// on the options it parsed from the variables; a ConfigSource words each line for its source.

import { CAPTCHA_PROVIDER_NAMES } from '../contracts/captcha-provider-name';
import {
  environmentRule,
  failureModeRule,
  isSupportedProvider,
  maskUrlSecrets,
  maxTokenAgeRule,
  minScoreRule,
  outageLogIntervalRule,
  projectIdRule,
  providerRule,
  secretKeyRule,
  siteKeyRule,
  storeFailureModeRule,
  timeoutMsRule,
  verifyUrlRule,
} from './captcha-config-rules';
import {
  clientIpHeaderRule,
  hostnameRule,
  ipv6PrefixRule,
  trustsNoProxy,
} from './network-value-rules';
import { isPlainObject, propertyPath } from './config-problem';
import type { CaptchaModuleOptions } from './captcha-module-options.interface';
import { checkAltcha } from './altcha-option-rules';
import { checkCaptchala, checkFriendlyCaptchaVersion } from './check-provider-options';
import { checkMessages, checkNamedProviders } from './check-providers-and-messages';
import { testKeyProblems } from './check-test-keys';
import type { ConfigSource } from './config-source';
import {
  checkAuditSink,
  checkCircuitBreaker,
  checkDispatcher,
  DISPATCHER_ACCEPTED,
  checkFallback,
  checkFunction,
  checkMemory,
  checkMetrics,
  checkRedis,
  checkStore,
  checkStripTokenFields,
  checkTrustProxy,
} from './nested-option-rules';
import { type RuleContext, createRuleContext } from './rule-context';
import { checkStepUp } from './step-up-option-rules';
import { checkClearance } from './clearance-option-rules';

/** Checks one option (and the rules between it and the others), reporting through `ctx`. @internal */
export type OptionRule = (value: unknown, ctx: RuleContext) => void;

/** A setting that providers other than ALTCHA require. */
function requiredKey(kind: 'site key' | 'secret key', path: 'siteKey' | 'secretKey'): OptionRule {
  return (value, ctx) => {
    const { provider, given, source } = ctx;
    if (value === undefined) {
      if (isSupportedProvider(provider) && provider !== 'altcha') {
        const asFunction =
          kind === 'secret key' && source.kind === 'options'
            ? ', as a string or a function returning it'
            : '';
        ctx.missing(
          path,
          `provider "${provider}" requires it`,
          `the ${kind} issued by ${provider}${asFunction}`,
        );
      }
      return;
    }
    if (path === 'siteKey') ctx.check(path, value, siteKeyRule);
    else ctx.checkSecret(path, value, secretKeyRule);
    // From the environment only: code may set a key beside ALTCHA (e.g. for a named provider).
    if (source.kind === 'env' && given.provider === 'altcha') {
      const short = kind === 'site key' ? 'site key' : 'secret';
      ctx.report(
        path,
        value,
        `is set, but provider "altcha" uses no ${short} (its key is ${source.name('altcha.hmacKey')})`,
        `no value with ${source.name('provider')}=altcha, or ${source.name('provider')} set to the provider that issued the ${short}`,
      );
    }
  };
}

/**
 * The rules of every option: TypeScript refuses a key of `CaptchaModuleOptions` without one. Each
 * checks its value and the rules it shares with other options, whichever source the options came
 * from. @internal
 */
export const CAPTCHA_OPTION_RULES = {
  provider: (value, ctx) => {
    ctx.check('provider', ctx.provider, providerRule);
    const { given, source } = ctx;
    if (value !== undefined) return;
    // The default, ALTCHA, would ignore the keys: a forgotten provider, not a wish for ALTCHA.
    const keys = (['siteKey', 'secretKey'] as const).filter((key) => given[key] !== undefined);
    if (keys.length === 0) return;
    const names = keys.map((key) => source.name(key)).join(' and ');
    ctx.missing(
      'provider',
      `${names} ${keys.length === 2 ? 'are' : 'is'}: without it the provider would be altcha, which uses no site or secret key`,
      `the provider that issued the keys: ${CAPTCHA_PROVIDER_NAMES.filter((name) => name !== 'altcha').join(', ')}`,
    );
  },
  siteKey: requiredKey('site key', 'siteKey'),
  secretKey: requiredKey('secret key', 'secretKey'),
  verifyUrl: (value, ctx) =>
    ctx.check(
      'verifyUrl',
      value,
      verifyUrlRule,
      typeof value === 'string' ? maskUrlSecrets(value) : value,
    ),
  projectId: (value, ctx) => {
    if (value !== undefined) return ctx.check('projectId', value, projectIdRule);
    const who =
      ctx.provider === 'recaptcha-enterprise'
        ? 'provider "recaptcha-enterprise"'
        : ctx.fallbackProvider === 'recaptcha-enterprise'
          ? `fallback provider "recaptcha-enterprise" (${ctx.source.name('fallback.provider')})`
          : undefined;
    if (who) ctx.missing('projectId', `${who} requires it`, projectIdRule.accepted);
  },
  friendlyCaptchaVersion: (value, ctx) => checkFriendlyCaptchaVersion(value, ctx.report),
  timeoutMs: (value, ctx) => ctx.check('timeoutMs', value, timeoutMsRule),
  failureMode: (value, ctx) => {
    ctx.check('failureMode', value, failureModeRule);
    if (value === 'fallback' && ctx.given.fallback === undefined) {
      ctx.missing(
        'fallback',
        `${ctx.source.name('failureMode')} "fallback" requires it`,
        ctx.fallbackAccepted,
      );
    }
  },
  providers: (value, ctx) =>
    checkNamedProviders(
      value,
      { provider: ctx.provider, fallbackProvider: ctx.fallbackProvider },
      ctx.report,
      ctx.problems,
    ),
  fallback: checkFallback,
  stepUp: checkStepUp,
  clearance: checkClearance,
  circuitBreaker: checkCircuitBreaker,
  metrics: checkMetrics,
  metricsRegistry: (value, ctx) => {
    if (
      value !== undefined &&
      !(isPlainObject(value) && typeof value.getSingleMetric === 'function')
    ) {
      ctx.report(
        'metricsRegistry',
        value,
        'is not a prom-client Registry',
        'a prom-client Registry',
      );
    }
  },
  logDecisions: (value, ctx) => {
    if (value !== undefined && typeof value !== 'boolean') {
      ctx.report('logDecisions', value, 'is not a boolean', 'true or false');
    }
  },
  outageLogIntervalMs: (value, ctx) =>
    ctx.check('outageLogIntervalMs', value, outageLogIntervalRule),
  messages: (value, ctx) => checkMessages(value, ctx.report),
  auditSink: checkAuditSink,
  dispatcher: checkDispatcher,
  minScore: (value, ctx) => ctx.check('minScore', value, minScoreRule),
  minScoreByAction: (value, ctx) => {
    if (value === undefined) return;
    if (!isPlainObject(value)) {
      const accepted = 'an object of action names to minimum scores, e.g. { checkout: 0.7 }';
      return ctx.report('minScoreByAction', value, 'is not an object', accepted);
    }
    for (const [action, score] of Object.entries(value)) {
      ctx.check(propertyPath('minScoreByAction', action), score, minScoreRule);
    }
  },
  expectedHostnames: (value, ctx) => {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      const accepted = "an array of hostnames, e.g. ['example.com', 'www.example.com']";
      return ctx.report('expectedHostnames', value, 'is not an array', accepted);
    }
    const bad = value.filter((host: unknown) => hostnameRule.problem(host) !== undefined);
    if (bad.length === 0) return;
    const what = bad.length === 1 ? 'an invalid hostname' : 'invalid hostnames';
    const quoted = bad.map((host) =>
      typeof host === 'string' ? JSON.stringify(host) : String(host),
    );
    ctx.report(
      'expectedHostnames',
      value,
      `contains ${what}: ${quoted.join(', ')}`,
      hostnameRule.accepted,
    );
  },
  maxTokenAgeSeconds: (value, ctx) => ctx.check('maxTokenAgeSeconds', value, maxTokenAgeRule),
  trustProxy: checkTrustProxy,
  clientIpHeader: (value, ctx) => {
    if (value === undefined) return;
    const problem = clientIpHeaderRule.problem(value);
    if (problem !== undefined) {
      return ctx.report('clientIpHeader', value, problem, clientIpHeaderRule.accepted);
    }
    // From the environment alone this is not decided: code may add trustProxy to those options.
    const trustProxy = ctx.given.trustProxy;
    if (ctx.source.kind === 'options' && trustsNoProxy(trustProxy)) {
      ctx.problems.push(
        ctx.source.line(
          'clientIpHeader (CAPTCHA_CLIENT_IP_HEADER)',
          value,
          `is set, but trustProxy (CAPTCHA_TRUST_PROXY) is ${trustProxy === undefined ? 'not set' : JSON.stringify(trustProxy)} and trusts no proxy, so the header would never be read`,
          'trustProxy set to the proxies that write the header (e.g. their addresses or CIDR ranges, or loopback), or no clientIpHeader',
        ),
      );
    }
  },
  ipv6Prefix: (value, ctx) => ctx.check('ipv6Prefix', value, ipv6PrefixRule),
  store: checkStore,
  memory: checkMemory,
  redis: checkRedis,
  storeFailureMode: (value, ctx) => ctx.check('storeFailureMode', value, storeFailureModeRule),
  altcha: checkAltcha,
  captchala: (value, ctx) => {
    if (value !== undefined) checkCaptchala(value, ctx.report);
  },
  tokenExtractor: (value, ctx) =>
    checkFunction('tokenExtractor', value, 'a function (request) => token | undefined', ctx),
  stripTokenFields: checkStripTokenFields,
  skipIf: (value, ctx) =>
    checkFunction(
      'skipIf',
      value,
      'a function (context: ExecutionContext) => boolean | Promise<boolean>',
      ctx,
    ),
  environment: (value, ctx) => ctx.check('environment', value, environmentRule),
  allowTestKeys: (value, ctx) => {
    if (value !== undefined && typeof value !== 'boolean') {
      ctx.report('allowTestKeys', value, 'is not a boolean', 'true (staging only) or false');
    }
    if (ctx.production !== undefined && value !== true) {
      ctx.problems.push(...testKeyProblems(ctx.given, ctx.production, ctx.source));
    }
  },
} satisfies Record<keyof CaptchaModuleOptions, OptionRule>;

/** Options the table has no rule for, refused rather than ignored. */
const RETIRED_OPTIONS: Readonly<Record<string, OptionRule>> = {
  httpAgents: (value, ctx) => {
    if (value === undefined) return;
    ctx.report(
      'httpAgents',
      value,
      'is no longer supported (provider calls go through undici)',
      `dispatcher: ${DISPATCHER_ACCEPTED}`,
    );
  },
};

/**
 * Every problem of `given` under the rules of {@link CAPTCHA_OPTION_RULES}, one line each, named
 * as `source` says. `production` is the signal saying production (see `productionSignal`).
 * @internal
 */
export function checkCaptchaOptions(
  given: Record<string, unknown>,
  production: string | undefined,
  source: ConfigSource,
): string[] {
  const ctx = createRuleContext(given, production, source);
  const rules: Record<string, OptionRule> = { ...CAPTCHA_OPTION_RULES, ...RETIRED_OPTIONS };
  for (const [key, rule] of Object.entries(rules)) rule(given[key], ctx);
  return ctx.problems;
}
