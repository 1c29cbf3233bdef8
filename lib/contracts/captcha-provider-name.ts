/**
 * A shared contract: a leaf module (it imports nothing) that the server and the browser client
 * (`nestjs-captcha/client`, compiled beside it as an ES module) both read.
 */

/**
 * Every provider `CAPTCHA_PROVIDER` accepts, in the order the docs list them.
 * @public
 */
export const CAPTCHA_PROVIDER_NAMES = Object.freeze([
  'turnstile',
  'recaptcha',
  'recaptcha-enterprise',
  'hcaptcha',
  'friendly-captcha',
  'altcha',
  'captchala',
] as const);

/**
 * A provider's name as used in options, HTTP bodies (`details.provider`), logs and metric labels.
 * @public
 */
export type CaptchaProviderName = (typeof CAPTCHA_PROVIDER_NAMES)[number];
