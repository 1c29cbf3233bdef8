import {
  CAPTCHA_PROVIDER_NAMES,
  type CaptchaProviderName,
} from '../contracts/captcha-provider-name';
import { type ConfigRule, fallbackMethodRule, isSupportedProvider } from './captcha-config-rules';
import { isPlainObject, type ProblemReport } from './config-problem';
import type { ConfigSource } from './config-source';

/** What a rule sees and how it reports (see `captcha-option-rules.ts`). @internal */
export interface RuleContext {
  /** All the options, for the rules between them. */
  readonly given: Record<string, unknown>;
  readonly source: ConfigSource;
  /** `given.provider`, or the default (`altcha`). */
  readonly provider: unknown;
  /** The fallback's provider, when `fallback` names a supported one. */
  readonly fallbackProvider?: CaptchaProviderName;
  /** The signal saying production (`NODE_ENV=production`…), or `undefined` elsewhere. */
  readonly production?: string;
  /** What `fallback` accepts, in the source's names. */
  readonly fallbackAccepted: string;
  /** The problem lines so far. */
  readonly problems: string[];
  /** One problem of the value at `path`. */
  readonly report: ProblemReport;
  /** `<subject>: not set, but <why>; accepted: …` for a setting another one requires. */
  missing(path: string, why: string, accepted: string): void;
  /** Reports `value` (when set) if `rule` refuses it; `shown` replaces it in the message. */
  check(path: string, value: unknown, rule: ConfigRule, shown?: unknown): void;
  /** A secret: a string `rule` accepts, or a function resolving it later; never shown. */
  checkSecret(path: string, value: unknown, rule: ConfigRule): void;
}

const OTHER_PROVIDERS = CAPTCHA_PROVIDER_NAMES.join(', ');

/** What `fallback` accepts, in code. */
const FALLBACK_ACCEPTED =
  `{ provider } naming a provider other than options.provider (${OTHER_PROVIDERS}), ` +
  "with siteKey and secretKey unless it is altcha, or { method } naming a method of your app, e.g. { provider: 'altcha' } or { method: 'email_otp' }";

/** What the fallback variables accept. */
const FALLBACK_VARIABLES_ACCEPTED =
  `CAPTCHA_FALLBACK_PROVIDER set to a provider other than CAPTCHA_PROVIDER (${OTHER_PROVIDERS}; ` +
  'one that needs keys also needs options.fallback.siteKey and secretKey), or CAPTCHA_FALLBACK_METHOD set to ' +
  fallbackMethodRule.accepted;

/** The context of one check of `given`. @internal */
export function createRuleContext(
  given: Record<string, unknown>,
  production: string | undefined,
  source: ConfigSource,
): RuleContext {
  const problems: string[] = [];
  const report: ProblemReport = (path, value, problem, accepted, secret) =>
    problems.push(source.line(path, value, problem, accepted, secret));
  const fallback = given.fallback;
  const named = isPlainObject(fallback) ? fallback.provider : undefined;
  const provider = given.provider ?? 'altcha';
  return {
    given,
    source,
    provider,
    fallbackProvider:
      isSupportedProvider(named) && isPlainObject(fallback) && fallback.method === undefined
        ? named
        : undefined,
    production,
    fallbackAccepted: source.kind === 'env' ? FALLBACK_VARIABLES_ACCEPTED : FALLBACK_ACCEPTED,
    problems,
    report,
    missing: (path, why, accepted) =>
      problems.push(`${source.subject(path)}: not set, but ${why}; accepted: ${accepted}`),
    check: (path, value, rule, shown = value) => {
      if (value === undefined) return;
      const problem = rule.problem(value);
      if (problem !== undefined) report(path, shown, problem, rule.accepted);
    },
    checkSecret: (path, value, rule) => {
      if (value === undefined || typeof value === 'function') return;
      const problem =
        typeof value === 'string' ? rule.problem(value) : 'is not a string or a function';
      // Only code can give a function.
      const accepted =
        source.kind === 'env' ? rule.accepted : `${rule.accepted}, or a function returning it`;
      if (problem !== undefined) report(path, value, problem, accepted, true);
    },
  };
}
