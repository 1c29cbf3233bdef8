import type { CaptchaErrorCode } from './captcha.exception';

/**
 * The user-facing messages of the three error bodies. Generic on purpose: they never say which
 * condition fired or what the provider answered.
 */
export const CAPTCHA_MESSAGES: Record<CaptchaErrorCode, string> = {
  captcha_required: 'Please complete the verification step to continue.',
  captcha_invalid: 'The verification could not be confirmed. Please try again.',
  captcha_unavailable: 'Verification is temporarily unavailable. Please try again in a moment.',
};
