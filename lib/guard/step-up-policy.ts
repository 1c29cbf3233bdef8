import type { ExecutionContext } from '@nestjs/common';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { CaptchaContext } from '../conditions/captcha-condition';
import { clientNetworkOf } from '../conditions/client-network';
import {
  STEP_UP_NOT_GRANTED,
  type CaptchaChallengeDetails,
  type CaptchaStepUpDetails,
} from '../contracts/captcha-error-body';
import type { CaptchaProviderName, CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import { CaptchaInvalidException, CaptchaRequiredException } from '../errors/captcha.exception';
import { CaptchaStoreError } from '../stores/captcha-store.error';
import type { ChallengeOutcome } from './challenge-outcome';
import type { CaptchaProviders } from '../providers/captcha-providers';
import { hashStoreKey } from '../stores/hash-store-key';
import { verifyOncePerOperation } from '../transports/graphql-verification-memo';
import { CLOCK_SKEW_ALLOWANCE_SECONDS } from '../verification/token-lifetime';

/** What the step-up policy asks of the guard: its (overridable) steps. @internal */
export interface StepUpGuardSteps {
  /** The providers the route accepts (its step-up is never one of them). */
  accepted(requirement: RequireCaptchaOptions): readonly CaptchaProviderName[];
  /** The provider the route's challenge names (a refusal sends the client back to it). */
  challenged(requirement: RequireCaptchaOptions): CaptchaProviderName;
  /** What a challenge for `provider` tells the client. */
  details(
    requirement: RequireCaptchaOptions,
    provider: CaptchaVerifierName,
  ): CaptchaChallengeDetails;
  /** The store-failure policy: throws the 503 under `closed`, else logs and returns. */
  onStoreFailure(error: CaptchaStoreError): void;
}

/**
 * Step-up after a low score (README: Step-up). A score-based proof under `minScore` on a route with
 * a step-up provider is answered `captcha_required` naming that provider, and a grant is recorded
 * in the store for the route's action and the client's network. A token the client states for the
 * step-up provider is verified only if such a grant is there, and each grant is spent once, so
 * stating the interactive provider never skips the invisible check.
 *
 * Grants are counted per period of the step-up token's lifetime (`ttl`): the counter
 * `step-up:<action, network, period>` holds the period's grants, and spending its n-th grant is the
 * single-use claim `<counter>:used:<n>`, so two requests racing for one grant get one claim between
 * them, on memory and Redis alike. A grant is honoured in its period and the next one: it lives
 * between `ttl` and twice `ttl`.
 *
 * @internal
 */
export class StepUpPolicy {
  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly providers: CaptchaProviders,
    private readonly guard: StepUpGuardSteps,
  ) {}

  /** The interactive provider this route steps up to, if any (never one it accepts already). */
  providerFor(requirement: RequireCaptchaOptions): CaptchaVerifierName | undefined {
    if (requirement.stepUp === false) return undefined;
    const provider = requirement.stepUp ?? this.options.stepUp?.provider;
    const accepted: readonly CaptchaVerifierName[] = this.guard.accepted(requirement);
    return provider === undefined || accepted.includes(provider) ? undefined : provider;
  }

  /** The route's step-up provider when the client stated it for its token, else `undefined`. */
  stated(
    requirement: RequireCaptchaOptions,
    statedProvider: () => CaptchaVerifierName | undefined,
  ): CaptchaVerifierName | undefined {
    const provider = this.providerFor(requirement);
    return provider !== undefined && statedProvider() === provider ? provider : undefined;
  }

  /**
   * Spends a grant for a token stated for the step-up provider: `undefined` when one was spent
   * (the token is verified next), else the refusal, before any provider call. The store failing
   * refuses under either store policy (after the guard's store-failure step): no grant can be
   * confirmed without it.
   */
  async admit(
    context: CaptchaContext,
    requirement: RequireCaptchaOptions,
    provider: CaptchaVerifierName,
  ): Promise<ChallengeOutcome | undefined> {
    let granted = false;
    try {
      granted = await this.spend(context, requirement, provider);
    } catch (error) {
      if (!(error instanceof CaptchaStoreError)) throw error;
      this.guard.onStoreFailure(error);
    }
    if (granted) return undefined;
    const details = this.guard.details(requirement, this.guard.challenged(requirement));
    const refusal = new CaptchaInvalidException({
      reason: 'invalid',
      ...details,
      code: STEP_UP_NOT_GRANTED,
    });
    return { verdict: { provider, outcome: STEP_UP_NOT_GRANTED }, refusal };
  }

  /**
   * {@link admit} once per protected field of a GraphQL operation: the resolutions of
   * `posts { privateNote }` (one per post) share one grant as they share one verification
   * (`verifyOncePerOperation`); aliases, batched operations and requests each spend their own.
   */
  admitOnce(
    execution: ExecutionContext,
    context: CaptchaContext,
    requirement: RequireCaptchaOptions,
    provider: CaptchaVerifierName,
    token: unknown,
  ): Promise<ChallengeOutcome | undefined> {
    if (execution.getType<string>() !== 'graphql')
      return this.admit(context, requirement, provider);
    return verifyOncePerOperation(execution.getArgByIndex(3), `step-up:${provider}`, token, () =>
      this.admit(context, requirement, provider),
    );
  }

  /**
   * A refused low score: on a route with a step-up provider, the step-up challenge, granted;
   * otherwise (or without a client network, or with the store failing under policy open) the
   * refusal as it was.
   */
  async afterLowScore(
    outcome: ChallengeOutcome,
    requirement: RequireCaptchaOptions,
    context: CaptchaContext,
  ): Promise<ChallengeOutcome> {
    const provider = this.providerFor(requirement);
    if (provider === undefined || !outcome.refusal) return outcome;
    try {
      const details = this.guard.details(requirement, provider);
      const refusal = await this.grant(context, requirement, provider, details);
      return refusal ? { ...outcome, refusal } : outcome;
    } catch (error) {
      if (!(error instanceof CaptchaStoreError)) throw error;
      this.guard.onStoreFailure(error);
      return outcome;
    }
  }

  /**
   * Records a grant for this client and action and answers the step-up challenge; `undefined`
   * when the client's network is unknown (no binding, so no step-up: the low score stands).
   */
  private async grant(
    context: CaptchaContext,
    requirement: RequireCaptchaOptions,
    provider: CaptchaVerifierName,
    details: CaptchaChallengeDetails,
  ): Promise<CaptchaRequiredException | undefined> {
    const ttlMs = this.grantTtlMs(provider);
    const key = this.grantKey(context, requirement, Math.floor(Date.now() / ttlMs));
    if (key === undefined) return undefined;
    await context.store.increment(key, 2 * ttlMs);
    const stepUp: CaptchaStepUpDetails = { ...details, step_up: true, reason: 'score_too_low' };
    return new CaptchaRequiredException(stepUp);
  }

  /** Spends one grant of this client and action: `true` once per grant, atomically. */
  private async spend(
    context: CaptchaContext,
    requirement: RequireCaptchaOptions,
    provider: CaptchaVerifierName,
  ): Promise<boolean> {
    const ttlMs = this.grantTtlMs(provider);
    const period = Math.floor(Date.now() / ttlMs);
    // This period's latest grant, else the previous period's.
    for (const p of [period, period - 1]) {
      const key = this.grantKey(context, requirement, p);
      if (key === undefined) return false;
      const granted = await context.store.count(key);
      if (granted > 0 && (await context.store.claim(`${key}:used:${granted}`, 2 * ttlMs))) {
        return true;
      }
    }
    return false;
  }

  private grantKey(
    context: CaptchaContext,
    requirement: RequireCaptchaOptions,
    period: number,
  ): string | undefined {
    const network = clientNetworkOf(context);
    if (network === undefined) return undefined;
    return hashStoreKey('step-up', requirement.action ?? '', network, String(period));
  }

  /**
   * The step-up token's life (the provider's own `tokenLifetimeSeconds`): the time a user has to
   * solve the widget and send it. Start-up checked that the provider is registered.
   */
  private grantTtlMs(provider: CaptchaVerifierName): number {
    const lifetime = this.providers.get(provider)?.tokenLifetimeSeconds ?? 0;
    return (lifetime + CLOCK_SKEW_ALLOWANCE_SECONDS) * 1000;
  }
}
