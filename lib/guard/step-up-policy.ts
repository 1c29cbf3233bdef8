import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { CaptchaContext } from '../conditions/captcha-condition';
import {
  STEP_UP_NOT_GRANTED,
  type CaptchaChallengeDetails,
  type CaptchaStepUpDetails,
} from '../contracts/captcha-error-body';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import { CaptchaInvalidException, CaptchaRequiredException } from '../errors/captcha.exception';
import { hashStoreKey } from '../stores/hash-store-key';
import {
  CLOCK_SKEW_ALLOWANCE_SECONDS,
  PROVIDER_TOKEN_LIFETIME_SECONDS,
} from '../verification/token-lifetime';

/** How long a grant waits when the step-up provider documents no token lifetime. */
const DEFAULT_GRANT_SECONDS = 300;

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
  constructor(private readonly options: ResolvedCaptchaOptions) {}

  /** The interactive provider this route steps up to, if any (never one it accepts already). */
  providerFor(
    requirement: RequireCaptchaOptions,
    accepted: () => readonly CaptchaProviderName[],
  ): CaptchaProviderName | undefined {
    if (requirement.stepUp === false) return undefined;
    const provider = requirement.stepUp ?? this.options.stepUp?.provider;
    return provider === undefined || accepted().includes(provider) ? undefined : provider;
  }

  /**
   * Records a grant for this client and action and answers the step-up challenge; `undefined`
   * when the client's network is unknown (no binding, so no step-up: the low score stands).
   */
  async grant(
    context: CaptchaContext,
    requirement: RequireCaptchaOptions,
    provider: CaptchaProviderName,
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
  async spend(
    context: CaptchaContext,
    requirement: RequireCaptchaOptions,
    provider: CaptchaProviderName,
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

  /** The refusal of a step-up answer without a grant to spend: `invalid`, with its own code. */
  notGranted(details: CaptchaChallengeDetails): CaptchaInvalidException {
    return new CaptchaInvalidException({
      reason: 'invalid',
      ...details,
      code: STEP_UP_NOT_GRANTED,
    });
  }

  private grantKey(
    context: CaptchaContext,
    requirement: RequireCaptchaOptions,
    period: number,
  ): string | undefined {
    const network = context.clientNetwork ?? context.clientIp;
    if (network === undefined || network === '') return undefined;
    return hashStoreKey('step-up', requirement.action ?? '', network, String(period));
  }

  /** The step-up token's life: the time a user has to solve the widget and send it. */
  private grantTtlMs(provider: CaptchaProviderName): number {
    const lifetime =
      provider === 'altcha'
        ? this.options.altcha.expiresInSeconds
        : (PROVIDER_TOKEN_LIFETIME_SECONDS[provider] ?? DEFAULT_GRANT_SECONDS);
    return (lifetime + CLOCK_SKEW_ALLOWANCE_SECONDS) * 1000;
  }
}
