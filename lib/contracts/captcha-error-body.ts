/**
 * A shared contract: the bodies `CaptchaExceptionFilter` writes and the browser client reads.
 * A leaf module: it imports only the provider-name contract, and only its type.
 */
import type { CaptchaProviderName, RECAPTCHA_V2_STEP_UP } from './captcha-provider-name';

/**
 * The `error` field of the three CAPTCHA answers.
 * @internal The list behind {@link CaptchaErrorCode}.
 */
export const CAPTCHA_ERROR_CODES = Object.freeze([
  'captcha_required',
  'captcha_invalid',
  'captcha_unavailable',
] as const);

/**
 * The `error` field of the three CAPTCHA answers.
 * @public
 */
export type CaptchaErrorCode = (typeof CAPTCHA_ERROR_CODES)[number];

/**
 * The answers that ask for a (fresh) token: a client renders a widget for these and retries.
 * @internal
 */
export const CAPTCHA_CHALLENGE_CODES = Object.freeze([
  'captcha_required',
  'captcha_invalid',
] as const);

/**
 * `captcha_required` or `captcha_invalid`.
 * @internal
 */
export type CaptchaChallengeCode = (typeof CAPTCHA_CHALLENGE_CODES)[number];

/**
 * What a client needs to render the widget and retry.
 * @public
 */
export interface CaptchaChallengeDetails {
  provider: CaptchaProviderName;
  /** The widget's site key; `null` for ALTCHA, which uses `challenge_url` instead. */
  site_key: string | null;
  action: string | null;
  /** ALTCHA only: where the widget fetches its challenge. */
  challenge_url?: string;
  /** reCAPTCHA: render the v2 checkbox (the `recaptcha-v2` step-up), not v3's invisible check. */
  recaptcha_mode?: 'checkbox';
  /**
   * The provider to state with the token (`captcha.provider`, `x-captcha-provider`) when it is
   * not `provider`: `recaptcha-v2` for the v2 checkbox step-up, whose keys differ from the
   * primary `recaptcha`'s.
   */
  answer_as?: typeof RECAPTCHA_V2_STEP_UP;
}

/**
 * The providers a route may step up to after a low score: each renders an interactive widget
 * (reCAPTCHA v2 checkbox, hCaptcha, Turnstile managed, ALTCHA). `recaptcha-v2` is the v2 checkbox
 * verified with its own keys, beside a `recaptcha` (v3) primary.
 * @internal The list behind {@link CaptchaStepUpProviderName}.
 */
export const CAPTCHA_STEP_UP_PROVIDERS = Object.freeze([
  'recaptcha',
  'hcaptcha',
  'turnstile',
  'altcha',
  'recaptcha-v2',
] as const);

/**
 * A provider a route may step up to (`stepUp`).
 * @public
 */
export type CaptchaStepUpProviderName = (typeof CAPTCHA_STEP_UP_PROVIDERS)[number];

/**
 * The `captcha_required` details of a step-up: the interactive provider's widget, after a
 * score-based proof scored under the route's `minScore`.
 * @public
 */
export interface CaptchaStepUpDetails extends CaptchaChallengeDetails {
  step_up: true;
  reason: 'score_too_low';
}

/**
 * `details.code` of a `captcha_invalid` whose token was stated for the step-up provider without a
 * step-up to answer (none granted to this client and action, or already spent). Its `reason` is
 * `invalid`: the reason vocabulary is a fixed contract.
 * @public
 */
export const STEP_UP_NOT_GRANTED = 'step_up_not_granted';

/**
 * The `details` of any of the three answers, as a client reads them: every field optional, since
 * which ones come depends on the code (and on the step-up and fallback policies).
 * @internal The default `details` of {@link CaptchaErrorBody}.
 */
export interface CaptchaErrorDetails {
  provider?: CaptchaProviderName;
  site_key?: string | null;
  action?: string | null;
  challenge_url?: string;
  recaptcha_mode?: string;
  answer_as?: string;
  /** `captcha_invalid`: why the token failed (`duplicate`, `expired`, …: a reason code). */
  reason?: string;
  /** `captcha_required`: the answer asks for the interactive step-up widget after a low score. */
  step_up?: boolean;
  /** `captcha_invalid`: a finer code, e.g. {@link STEP_UP_NOT_GRANTED}. */
  code?: string;
  /** `captcha_unavailable`: a fallback method of the app, e.g. `email_otp`. */
  fallback?: string | null;
  [key: string]: unknown;
}

/**
 * The body every CAPTCHA answer has: `{ statusCode, error, message, details }`.
 * @public
 */
export interface CaptchaErrorBody<D = CaptchaErrorDetails> {
  statusCode: number;
  error: CaptchaErrorCode;
  /** User-safe and localized from the request's `Accept-Language`: show it to the user. */
  message: string;
  details: D;
}
