import type { CaptchaFailureMode } from '../config/captcha-module-options.interface';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import type { CaptchaChallengeDetails } from '../contracts/captcha-error-body';
import type { CaptchaProviderName, CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { CaptchaProviders } from '../providers/captcha-providers';
import type { ProviderCircuitBreakers } from '../resilience/provider-circuit-breakers';
import { challengeDetailsFor } from '../verification/challenge-details';

/**
 * Which provider a route's challenge names and which one verifies its token: the route's
 * `provider` (else the module's primary), the fallback only while the preferred one is down.
 *
 * @internal
 */
export class CaptchaRouteProviders {
  constructor(
    private readonly options: ResolvedCaptchaOptions,
    /** The route's outage policy (the guard's `failureMode`, which a subclass may override). */
    private readonly failureMode: (requirement: RequireCaptchaOptions) => CaptchaFailureMode,
    /** The verifier: its primary provider. */
    private readonly verifier: { readonly providerName: CaptchaProviderName },
    private readonly providers: CaptchaProviders,
    private readonly breakers: ProviderCircuitBreakers,
  ) {}

  /** The fallback provider this route may switch to, if any. */
  fallbackProvider(requirement: RequireCaptchaOptions): CaptchaProviderName | undefined {
    const fallback = this.options.fallback;
    return this.failureMode(requirement) === 'fallback' && fallback && 'provider' in fallback
      ? fallback.provider
      : undefined;
  }

  /** The providers this route accepts, its preferred one first. */
  accepted(requirement: RequireCaptchaOptions): CaptchaProviderName[] {
    const { provider } = requirement;
    if (provider === undefined) return [this.verifier.providerName];
    // A wiring mistake, normally stopped at start-up by CaptchaRouteCheck; this catches routes it
    // cannot see (a subclass resolving requirements its own way).
    const problem = this.providers.problemWith(provider);
    if (problem) throw new Error(`${problem}; registered: ${this.providers.names.join(', ')}`);
    return Array.isArray(provider) ? [...provider] : [provider as CaptchaProviderName];
  }

  /** Which widget a challenge names: the fallback while the route's provider is down, else that provider. */
  challenged(requirement: RequireCaptchaOptions): CaptchaProviderName {
    const fallback = this.fallbackProvider(requirement);
    const preferred = this.accepted(requirement)[0];
    return fallback && this.breakers.isDegraded(preferred) ? fallback : preferred;
  }

  /**
   * Which provider verifies a token whose client stated `stated` (or nothing): the stated one if
   * the route accepts it, else the preferred one; the fallback only while the preferred one is
   * down. `undefined` when the route does not accept the stated provider now.
   */
  verifying(
    requirement: RequireCaptchaOptions,
    stated: CaptchaVerifierName | undefined,
  ): CaptchaProviderName | undefined {
    const accepted = this.accepted(requirement);
    if (stated === undefined) return accepted[0];
    // `recaptcha-v2` is only ever a step-up: never one of the route's accepted providers.
    if (accepted.includes(stated as CaptchaProviderName)) return stated as CaptchaProviderName;
    const fallback = this.fallbackProvider(requirement);
    return stated === fallback && this.breakers.isDegraded(accepted[0]) ? fallback : undefined;
  }

  /** What a challenge for `provider` tells the client (site key, widget, challenge URL). */
  challengeDetails(
    requirement: RequireCaptchaOptions,
    provider: CaptchaVerifierName,
  ): CaptchaChallengeDetails {
    return challengeDetailsFor(this.providers, this.options, provider, requirement.action ?? null);
  }
}
