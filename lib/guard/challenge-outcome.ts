import type {
  CaptchaAuditEvent,
  CaptchaAuditSink,
} from '../config/captcha-module-options.interface';
import type {
  CaptchaDecisionBase,
  CaptchaDecisionLog,
  CaptchaDecisionVerdict,
} from '../observability/captcha-decision-log';
import type { CaptchaMetrics } from '../observability/captcha-metrics';
import type { CaptchaVerification } from '../verification/captcha-verification.interface';

/**
 * What the checkpoint decided for a challenged request, before it acts on it: the decision line
 * (absent for a success while successes are not logged), the audit event of an outage policy, and
 * the refusal to throw, if any.
 *
 * @internal
 */
export interface ChallengeOutcome {
  verdict: CaptchaDecisionVerdict | undefined;
  audit?: CaptchaAuditEvent;
  refusal?: Error;
}

/** A success with nothing to record, shared. Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-refused-path */
const QUIET_SUCCESS = Object.freeze({
  passed: true,
  verdict: undefined,
  audit: undefined,
  refusal: undefined,
}) as ChallengeOutcome & { passed: boolean };

/**
 * Judges a verification the provider (or the outage policy's fail-open) answered. Passes: a full
 * success, a degraded reply the verifier let through (only under policy open, and only when it
 * passed every site check), or the fail-open. A degraded reply that failed a check keeps that
 * reason and is refused (the caller adds the refusal). A success's line is built only when
 * successes are logged (debug).
 *
 * @internal
 */
export function judgeVerification(
  verification: CaptchaVerification,
  log: Pick<CaptchaDecisionLog, 'logsSuccesses'>,
  audit: CaptchaAuditEvent | undefined,
): ChallengeOutcome & { passed: boolean } {
  const passed =
    verification.success ||
    (verification.degraded === true && verification.reason === 'provider_unavailable');
  const outcome = !passed
    ? (verification.reason ?? 'invalid')
    : verification.degraded
      ? 'provider_unavailable'
      : 'success';
  // A success is never degraded, so it has no audit event either.
  if (outcome === 'success' && !log.logsSuccesses()) return QUIET_SUCCESS;
  const verdict: CaptchaDecisionVerdict = {
    provider: verification.provider,
    outcome,
    policy: passed && verification.degraded ? 'open' : undefined,
    degraded: verification.degraded ? (passed ? 'accepted' : 'refused') : undefined,
    errorCodes: verification.errorCodes,
    latencyMs: verification.latencyMs,
    providerStatus: verification.httpStatus,
    tokenAgeMs: verification.challengeTs
      ? Date.now() - verification.challengeTs.getTime()
      : undefined,
  };
  // `refusal` set here (the caller fills it) keeps one object shape. Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-refused-path
  return { passed, verdict, audit, refusal: undefined };
}

/**
 * Records a challenged request's decision, once, whichever way it went: the decision log line,
 * the `missing` verification metric (the verifier counts the others) and the audit event.
 *
 * @internal
 */
export class ChallengeRecorder {
  constructor(
    private readonly decisions: CaptchaDecisionLog,
    private readonly metrics: CaptchaMetrics,
    private readonly audit: CaptchaAuditSink,
  ) {}

  record(base: CaptchaDecisionBase, { verdict, audit }: ChallengeOutcome): void {
    if (verdict) {
      this.decisions.record(base, verdict);
      if (verdict.outcome === 'missing') {
        this.metrics.verification(verdict.provider, base.action ?? 'none', 'missing');
      }
    }
    if (audit) this.audit.emit(audit);
  }

  /** A request a clearance let through: a success line marked `clearance: 'used'` (debug). */
  recordClearance(base: CaptchaDecisionBase, provider: string): void {
    if (!this.decisions.logsSuccesses()) return;
    this.decisions.record(base, { provider, outcome: 'success', clearance: 'used' });
  }
}
