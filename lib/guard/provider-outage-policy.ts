import type {
  CaptchaAuditEvent,
  CaptchaFailureMode,
} from '../config/captcha-module-options.interface';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import { CaptchaUnavailableException } from '../errors/captcha.exception';
import type { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaDecisionVerdict } from '../observability/captcha-decision-log';
import type { ProviderCircuitBreakers } from '../resilience/provider-circuit-breakers';
import type { CaptchaVerification } from '../verification/captcha-verification.interface';
import type { CaptchaRouteProviders } from './route-providers';

/**
 * What the outage policy answers when the provider could not: a pass marked degraded (fail-open),
 * or a refusal for the filter to render, with the decision line and audit event to record.
 *
 * @internal
 */
export type ProviderOutageAnswer =
  | { pass: CaptchaVerification; audit: CaptchaAuditEvent }
  | {
      refusal: CaptchaUnavailableException;
      verdict: CaptchaDecisionVerdict;
      audit?: CaptchaAuditEvent;
    };

/**
 * The outage policy (`failureMode`): `open` lets the request through, marked degraded; every other
 * case (closed, fallback, and `misconfigured` always) is refused.
 *
 * Never failed open, whatever the policy, for what a client can provoke: `misconfigured`, a
 * `degraded` reply the verifier refused (the route does not accept them, or the provider option
 * is off), and an outage of an endpoint the token picked (CaptchaLa's backup URL for `offline_`
 * tokens) while the provider's primary endpoint is up.
 *
 * @internal
 */
export class ProviderOutagePolicy {
  /** Answers by what they settle `verify` with (the pass or the refusal), until taken. */
  private readonly answers = new WeakMap<object, ProviderOutageAnswer>();

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly breakers: ProviderCircuitBreakers,
    private readonly routes: CaptchaRouteProviders,
  ) {}

  /** Answers an outage, kept until the guard records the decision ({@link take}). */
  answer(
    error: CaptchaUnavailableError,
    requirement: RequireCaptchaOptions,
    mode: CaptchaFailureMode,
  ): ProviderOutageAnswer {
    const answer = this.decide(error, requirement, mode);
    this.answers.set('pass' in answer ? answer.pass : answer.refusal, answer);
    return answer;
  }

  /**
   * The answer `verify` settled with (its pass or refusal), once: the GraphQL list indexes that
   * share one verification record its outage once.
   */
  take(settled: unknown): ProviderOutageAnswer | undefined {
    if (typeof settled !== 'object' || settled === null) return undefined;
    const answer = this.answers.get(settled);
    if (answer) this.answers.delete(settled);
    return answer;
  }

  private decide(
    error: CaptchaUnavailableError,
    requirement: RequireCaptchaOptions,
    mode: CaptchaFailureMode,
  ): ProviderOutageAnswer {
    const { provider, endpoint } = error;
    const { action } = requirement;
    // `misconfigured` is always answered closed: it is our error, not an outage the fallback is
    // accepted for, and some of its codes (a token from another site key) can be provoked by the
    // client, so opening or switching providers on it would be a bypass.
    const misconfigured = error.kind === 'misconfigured';
    const degraded = error.kind === 'degraded';
    // Whether the provider itself is down, rather than something this client's token provoked (a
    // degraded reply, an outage of the endpoint it picked while the primary one is up). Only then
    // is the request failed open, or sent to a fallback provider (whose token the route accepts
    // only while the primary is down); a fallback method (e.g. email OTP) is fine either way.
    const providerDown =
      !degraded && (endpoint === 'primary' || this.breakers.isDegraded(provider));
    if (mode === 'open' && !misconfigured && providerDown) {
      return {
        pass: {
          success: false,
          degraded: true,
          provider,
          reason: 'provider_unavailable',
          errorCodes: [],
        },
        audit: { event: 'captcha.fail_open', provider, action, kind: error.kind },
      };
    }
    let fallback = mode === 'fallback' && !misconfigured ? this.options.fallback : undefined;
    if (fallback && 'provider' in fallback && !providerDown) fallback = undefined;
    const verdict: CaptchaDecisionVerdict = {
      provider,
      outcome: error.reason,
      policy: fallback ? 'fallback' : 'closed',
      degraded: degraded ? 'refused' : undefined,
      latencyMs: error.details.latencyMs,
      providerStatus: error.details.status,
      errorCodes: error.details.errorCodes,
    };
    const retryAfter = this.breakers.retryAfterSeconds(provider, endpoint);
    if (fallback && 'method' in fallback) {
      return {
        refusal: new CaptchaUnavailableException(
          { provider, fallback: fallback.method },
          retryAfter,
        ),
        verdict,
        audit: { event: 'captcha.fallback_used', provider, action, fallback: fallback.method },
      };
    }
    if (fallback && fallback.provider !== provider) {
      return {
        refusal: new CaptchaUnavailableException(
          { provider, fallback: fallback.provider },
          retryAfter,
          this.routes.challengeDetails(requirement, fallback.provider),
        ),
        verdict,
        audit: { event: 'captcha.fallback_used', provider, action, fallback: fallback.provider },
      };
    }
    return {
      refusal: new CaptchaUnavailableException({ provider, fallback: null }, retryAfter),
      verdict,
    };
  }
}
