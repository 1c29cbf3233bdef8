import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { CaptchaChallengeDetails } from '../contracts/captcha-error-body';
import { RECAPTCHA_V2_STEP_UP, type CaptchaVerifierName } from '../contracts/captcha-provider-name';
import { widgetProviderOf } from '../contracts/widget-provider';
import type { CaptchaProviders } from '../providers/captcha-providers';

/**
 * What a client needs to render `provider`'s widget for `action`: its site key, or for ALTCHA the
 * challenge URL (signed for the action, so a challenge solved here is spent here only). The same
 * details for the guard's answers and {@link CaptchaVerifier.verifyOrThrow}'s. The `recaptcha-v2`
 * step-up names the `recaptcha` widget with its own (v2) site key, in checkbox mode, and asks the
 * client to state `recaptcha-v2` with the token so it is verified with the v2 secret.
 *
 * @internal
 */
export function challengeDetailsFor(
  providers: CaptchaProviders,
  options: ResolvedCaptchaOptions,
  provider: CaptchaVerifierName,
  action: string | null,
): CaptchaChallengeDetails {
  const details: CaptchaChallengeDetails = {
    provider: widgetProviderOf(provider),
    site_key: providers.get(provider)?.siteKey ?? null,
    action,
  };
  if (provider === RECAPTCHA_V2_STEP_UP) {
    details.recaptcha_mode = 'checkbox';
    details.answer_as = RECAPTCHA_V2_STEP_UP;
  }
  const challengePath = options.altcha.challengePath;
  if (provider === 'altcha' && challengePath) {
    details.challenge_url = action
      ? `${challengePath}?action=${encodeURIComponent(action)}`
      : challengePath;
  }
  return details;
}
