import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { CaptchaChallengeDetails } from '../contracts/captcha-error-body';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import type { CaptchaProviders } from '../providers/captcha-providers';

/**
 * What a client needs to render `provider`'s widget for `action`: its site key, or for ALTCHA the
 * challenge URL (signed for the action, so a challenge solved here is spent here only). The same
 * details for the guard's answers and {@link CaptchaVerifier.verifyOrThrow}'s.
 *
 * @internal
 */
export function challengeDetailsFor(
  providers: CaptchaProviders,
  options: ResolvedCaptchaOptions,
  provider: CaptchaProviderName,
  action: string | null,
): CaptchaChallengeDetails {
  const details: CaptchaChallengeDetails = {
    provider,
    site_key: providers.get(provider)?.siteKey ?? null,
    action,
  };
  const challengePath = options.altcha.challengePath;
  if (provider === 'altcha' && challengePath) {
    details.challenge_url = action
      ? `${challengePath}?action=${encodeURIComponent(action)}`
      : challengePath;
  }
  return details;
}
