/** Every provider `CAPTCHA_PROVIDER` accepts. */
export const CAPTCHA_PROVIDER_NAMES = [
  'turnstile',
  'recaptcha',
  'recaptcha-enterprise',
  'hcaptcha',
  'friendly-captcha',
  'altcha',
  'captchala',
] as const;

/** A provider's name as used in options, HTTP bodies, logs and metric labels. */
export type CaptchaProviderName = (typeof CAPTCHA_PROVIDER_NAMES)[number];
