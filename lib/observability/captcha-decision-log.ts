import { Inject, Injectable, Logger, type LogLevel } from '@nestjs/common';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { ClientIp } from '../http/client-ip-resolver';
import { CAPTCHA_TRACING } from './captcha-tracing';

/**
 * One checkpoint decision, as logged. Fields only: never the token, the secret or the body.
 * @internal
 */
export interface CaptchaDecision {
  requestId: string;
  provider: string;
  action: string | null;
  /** `success`, `challenged` (a challenge was demanded), or a reason code. */
  outcome: string;
  /** The condition that demanded the challenge. */
  condition: string;
  /** What the outage policy did, when the provider could not answer. */
  policy?: 'open' | 'closed' | 'fallback';
  /**
   * For a reply that was not a full verification (a CaptchaLa degraded or client-only token, or
   * the guard's own fail-open): `accepted` (only with `policy: 'open'`), or `refused` — with
   * `policy: 'closed'`/`'fallback'` when the route does not accept degraded replies, or with the
   * failed check as `outcome` (`action_mismatch`, `hostname_mismatch`, …).
   */
  degraded?: 'accepted' | 'refused';
  /** `used`: a clearance let the request through, no token verified (never its value). */
  clearance?: 'used';
  tokenPresent: boolean;
  tokenLength?: number;
  /** Milliseconds between the provider's `challenge_ts` and now. */
  tokenAgeMs?: number;
  providerStatus?: number;
  errorCodes?: string[];
  latencyMs?: number;
  clientIp: string | null;
  clientIpSource: ClientIp['source'];
  environment: string | null;
  /**
   * The active OpenTelemetry trace (the request's, when the app traces requests): the same trace
   * as the `captcha.verify` span. Only with `@opentelemetry/api` and a registered SDK.
   */
  traceId?: string;
}

/**
 * What is known of a decision before the verdict: the request and its token.
 * @internal
 */
export type CaptchaDecisionBase = Pick<
  CaptchaDecision,
  | 'requestId'
  | 'action'
  | 'condition'
  | 'tokenPresent'
  | 'tokenLength'
  | 'clientIp'
  | 'clientIpSource'
>;

/**
 * The verdict: which provider, what came out, and how the provider answered.
 * @internal
 */
export type CaptchaDecisionVerdict = Omit<
  CaptchaDecision,
  keyof CaptchaDecisionBase | 'environment' | 'traceId'
>;

/** Copies the defined fields of `from` into `line`, in their order. */
function copyDefined(line: Record<string, unknown>, from: object): void {
  for (const field in from) {
    const value = (from as Record<string, unknown>)[field];
    if (value !== undefined) line[field] = value;
  }
}

/**
 * Writes one structured line per decision through Nest's `Logger` (context `CaptchaGuard`):
 * successes at debug, rejections and challenges at warn, `misconfigured` at error. An outage's
 * decisions (`provider_unavailable`) go to debug too: the outage log says when the provider went
 * down (error), sums up while it lasts and says when it is back.
 * `logDecisions: false` turns it off.
 * @internal
 */
@Injectable()
export class CaptchaDecisionLog {
  private readonly logger = new Logger('CaptchaGuard');

  constructor(@Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions) {}

  /**
   * Whether a success would be written: `false` when decision logs are off, or when the app set
   * its log levels (`NestFactory.create(…, { logger: [...] })`) without `debug`. A custom logger
   * decides for itself, so then it is `true`.
   */
  logsSuccesses(): boolean {
    if (this.options.logDecisions === false) return false;
    const levels = (Logger as unknown as { logLevels?: LogLevel[] }).logLevels;
    return !Array.isArray(levels) || Logger.isLevelEnabled('debug');
  }

  /**
   * Writes the line. The two parts come separately so that no caller merges them with a spread.
   * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#decision-log-without-spreads
   */
  record(base: CaptchaDecisionBase, verdict: CaptchaDecisionVerdict): void {
    if (this.options.logDecisions === false) return;
    const line: Record<string, unknown> = { event: 'captcha.decision' };
    copyDefined(line, base);
    copyDefined(line, verdict);
    line.environment = this.options.environment ?? null;
    const traceId = CAPTCHA_TRACING.activeTraceId();
    if (traceId !== undefined) line.traceId = traceId;
    this.logger[this.levelOf(verdict.outcome)](line);
  }

  /**
   * The level a decision is written at: error for `misconfigured`, debug for successes and
   * outages (`provider_unavailable`, see `CaptchaOutageLog`), warn for the rest.
   * `CaptchaTestingModule` writes every decision at debug.
   */
  protected levelOf(outcome: string): 'error' | 'warn' | 'debug' {
    if (outcome === 'misconfigured') return 'error';
    return outcome === 'success' || outcome === 'provider_unavailable' ? 'debug' : 'warn';
  }
}
