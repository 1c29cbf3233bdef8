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

/**
 * The reCAPTCHA v2 checkbox as a step-up target (`stepUp: 'recaptcha-v2'`): a second reCAPTCHA
 * verifier with its own v2 keys, beside a `recaptcha` (v3) primary whose keys cannot verify it.
 * Its challenge names provider `recaptcha` (the client renders the checkbox); the client states
 * this name with the answer (`details.answer_as`).
 * @public
 */
export const RECAPTCHA_V2_STEP_UP = 'recaptcha-v2';

/**
 * The name a registered verifier goes by: its provider's, or {@link RECAPTCHA_V2_STEP_UP} for the
 * v2 checkbox step-up. Used in logs, metric labels, circuit breakers and
 * `CaptchaVerification.provider`; a challenge's `details.provider` is always a provider name.
 * @public
 */
export type CaptchaVerifierName = CaptchaProviderName | typeof RECAPTCHA_V2_STEP_UP;
