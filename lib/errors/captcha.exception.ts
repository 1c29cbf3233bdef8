import { HttpException } from '@nestjs/common';
import type {
  CaptchaChallengeDetails,
  CaptchaErrorBody,
  CaptchaErrorCode,
  CaptchaStepUpDetails,
} from '../contracts/captcha-error-body';
import {
  type CaptchaProviderName,
  type CaptchaVerifierName,
} from '../contracts/captcha-provider-name';
import { widgetProviderOf } from '../contracts/widget-provider';
import type { CaptchaReason } from '../contracts/captcha-reason';
import type { CaptchaUnavailableError } from './captcha-unavailable.error';
import { CAPTCHA_MESSAGES } from './captcha-messages';

/**
 * Base of the three CAPTCHA answers. They are `HttpException`s, so the body is right even where
 * {@link CaptchaExceptionFilter} is not applied; the filter adds `Retry-After` and localization.
 *
 * They carry no stack trace (`stack` is the name and message only): a refusal is an expected
 * answer to the client, not a fault in the app, and Nest never logs an `HttpException`'s stack.
 * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#no-stack-trace-on-a-refusal
 * @public
 */
export abstract class CaptchaException<D extends object = object> extends HttpException {
  readonly code: CaptchaErrorCode;
  readonly details: D;

  protected constructor(code: CaptchaErrorCode, status: number, details: D) {
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(
        {
          statusCode: status,
          error: code,
          message: CAPTCHA_MESSAGES.en[code],
          details,
        } satisfies CaptchaErrorBody<D>,
        status,
      );
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.code = code;
    this.details = details;
  }
}

/**
 * 403 `captcha_required`: a condition demands a challenge and the request carried no token.
 * @public
 */
export class CaptchaRequiredException extends CaptchaException<
  CaptchaChallengeDetails | CaptchaStepUpDetails
> {
  constructor(details: CaptchaChallengeDetails | CaptchaStepUpDetails) {
    super('captcha_required', 403, details);
  }
}

/**
 * 403 `captcha_invalid`: a token came and failed; `details` lets the client render a fresh widget.
 * @public
 */
export class CaptchaInvalidException extends CaptchaException<
  CaptchaChallengeDetails & { reason: CaptchaReason; code?: string }
> {
  constructor({
    reason,
    ...challenge
  }: CaptchaChallengeDetails & { reason: CaptchaReason; code?: string }) {
    // `reason` first, as in the contract.
    super('captcha_invalid', 403, { reason, ...challenge });
  }
}

/**
 * 503 `captcha_unavailable`: the provider could not judge the token and the route does not fail
 * open. `details.fallback` names a fallback method for the client to switch to. When the policy
 * falls back to a second provider, `fallbackChallenge` holds that provider's widget details and
 * {@link CaptchaExceptionFilter} answers `captcha_required` naming it instead.
 * @public
 */
export class CaptchaUnavailableException extends CaptchaException<{
  provider: CaptchaProviderName;
  fallback: string | null;
}> {
  constructor(
    /** `provider` may name a verifier (`recaptcha-v2`): the body names its widget's provider. */
    details: { provider: CaptchaVerifierName; fallback: string | null },
    /** Seconds the client should wait before retrying (`Retry-After`). */
    readonly retryAfterSeconds = 10,
    /** The fallback provider's challenge, when the policy falls back to one. */
    readonly fallbackChallenge?: CaptchaChallengeDetails,
  ) {
    super('captcha_unavailable', 503, { ...details, provider: widgetProviderOf(details.provider) });
  }

  /**
   * The answer to a {@link CaptchaUnavailableError} thrown by `CaptchaVerifier.verify()` outside
   * the guard: 503 naming the provider, with the module's fallback (`error.fallback`) and the
   * circuit's `Retry-After` (`error.retryAfterSeconds`, 10 when unknown).
   */
  static from(error: CaptchaUnavailableError): CaptchaUnavailableException {
    return new CaptchaUnavailableException(
      { provider: error.provider, fallback: error.fallback ?? null },
      error.retryAfterSeconds ?? 10,
    );
  }
}
