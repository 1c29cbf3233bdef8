/**
 * A shared contract: the bodies `CaptchaExceptionFilter` writes and the browser client reads.
 * A leaf module: it imports only the provider-name contract, and only its type.
 */
import type { CaptchaProviderName } from './captcha-provider-name';

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
}

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
  /** `captcha_invalid`: why the token failed (`duplicate`, `expired`, …: a reason code). */
  reason?: string;
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
