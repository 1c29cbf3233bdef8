import { ArgumentsHost, Catch, ExceptionFilter, Inject, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { captchaRequestOf } from '../http/captcha-request';
import { captchaMessage } from './captcha-messages';
import {
  CaptchaException,
  CaptchaRequiredException,
  CaptchaUnavailableException,
  type CaptchaErrorCode,
} from './captcha.exception';

/** The `extensions` of a {@link CaptchaGraphQLError}: the HTTP answer's fields. */
export interface CaptchaGraphQLErrorExtensions {
  /** `captcha_required`, `captcha_invalid` or `captcha_unavailable`. */
  code: CaptchaErrorCode;
  /** The status the HTTP answer has (403, 503); the GraphQL response itself stays 200. */
  statusCode: number;
  details: object;
  /** `captcha_unavailable`: seconds to wait before retrying (the HTTP answer's `Retry-After`). */
  retryAfter?: number;
}

/**
 * A CAPTCHA answer for a GraphQL resolver: {@link CaptchaExceptionFilter} returns it, Nest hands
 * it to the GraphQL server as the resolver's error, and the client gets it in `errors[]` with
 * `extensions: { code, statusCode, details, retryAfter? }`. graphql-js copies an error's own
 * `extensions`, so no `graphql` import is needed; it is not an `HttpException`, so Nest's Apollo
 * driver does not replace the code with `FORBIDDEN`.
 */
export class CaptchaGraphQLError extends Error {
  readonly extensions: CaptchaGraphQLErrorExtensions;

  constructor(exception: CaptchaException, message: string = exception.message) {
    super(message);
    this.name = 'CaptchaGraphQLError';
    this.extensions = {
      code: exception.code,
      statusCode: exception.getStatus(),
      details: exception.details,
      ...(exception instanceof CaptchaUnavailableException
        ? { retryAfter: exception.retryAfterSeconds }
        : {}),
    };
  }
}

/**
 * Renders the CAPTCHA answers (`captcha_required`, `captcha_invalid`, `captcha_unavailable` with
 * `Retry-After`), including the outage policy's closed and fallback answers: a fallback provider
 * becomes `captcha_required` naming it, a fallback method a 503 with `details.fallback`. It catches only this library's exceptions: a rate limit, CSRF or validation
 * error elsewhere passes through to the app's own handling untouched.
 *
 * For GraphQL resolvers it writes no response: it returns a {@link CaptchaGraphQLError} with the same
 * code and details, which the GraphQL server reports in `errors[]`.
 *
 * `@RequireCaptcha()` applies it to the route; register it globally with
 * `app.useGlobalFilters(new CaptchaExceptionFilter(app.get(HttpAdapterHost)))` if you throw the
 * exceptions yourself.
 *
 * The `message` is localized from `Accept-Language` (en, es, fr, de, pt, ja, zh, ru, and the
 * module's `messages` overrides), with `Content-Language` set; the rest of the body never changes.
 */
@Catch(CaptchaException)
export class CaptchaExceptionFilter implements ExceptionFilter<CaptchaException> {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(CAPTCHA_OPTIONS) private readonly options?: ResolvedCaptchaOptions,
  ) {}

  catch(exception: CaptchaException, host: ArgumentsHost): CaptchaGraphQLError | void {
    // A fallback provider is answered as `captcha_required` naming it: the client renders that
    // widget and retries at once.
    const fallback =
      exception instanceof CaptchaUnavailableException ? exception.fallbackChallenge : undefined;
    const answer = fallback ? new CaptchaRequiredException(fallback) : exception;
    const { language, message } = captchaMessage(
      answer.code,
      acceptLanguageOf(captchaRequestOf(host)),
      this.options?.messages,
    );
    if (host.getType<string>() === 'graphql') return new CaptchaGraphQLError(answer, message);

    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
    httpAdapter.setHeader(response, 'Content-Language', language);
    httpAdapter.setHeader(response, 'Vary', 'Accept-Language');
    if (answer instanceof CaptchaUnavailableException) {
      httpAdapter.setHeader(response, 'Retry-After', String(answer.retryAfterSeconds));
    }
    const body = { ...(answer.getResponse() as object), message };
    httpAdapter.reply(response, body, answer.getStatus());
  }
}

function acceptLanguageOf(request: unknown): string | undefined {
  const header = (request as { headers?: Record<string, unknown> })?.headers?.['accept-language'];
  return typeof header === 'string' ? header : undefined;
}
