import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';

/**
 * How long each provider documents its tokens to live (in its own docs): the default of
 * `maxTokenAgeSeconds`. Friendly Captcha and CaptchaLa document none, and ALTCHA payloads carry
 * their own signed expiry, so they get no default of ours.
 *
 * @internal
 */
export const PROVIDER_TOKEN_LIFETIME_SECONDS: Readonly<
  Partial<Record<CaptchaVerifierName, number>>
> = {
  turnstile: 300,
  recaptcha: 120,
  'recaptcha-v2': 120,
  'recaptcha-enterprise': 120,
  hcaptcha: 120,
};

/**
 * Added to a provider's lifetime when it is the default: `challenge_ts` is stamped by the
 * provider's clock and judged by ours, and the provider has already enforced its own limit. An
 * explicit `maxTokenAgeSeconds` is applied exactly.
 *
 * @internal
 */
export const CLOCK_SKEW_ALLOWANCE_SECONDS = 30;

/**
 * The age past which a token from `provider` is `expired`, in ms; `undefined` for no limit.
 *
 * @internal
 */
export function maxTokenAgeMs(
  provider: CaptchaVerifierName | undefined,
  maxTokenAgeSeconds: number | undefined,
): number | undefined {
  if (maxTokenAgeSeconds !== undefined) return maxTokenAgeSeconds * 1000;
  const lifetime = provider === undefined ? undefined : PROVIDER_TOKEN_LIFETIME_SECONDS[provider];
  return lifetime === undefined ? undefined : (lifetime + CLOCK_SKEW_ALLOWANCE_SECONDS) * 1000;
}
