import { ArgumentsHost, Catch, ExceptionFilter, Inject, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { captchaRequestOf } from '../http/captcha-request';
import { sendWsException } from '../transports/ws-client';
import type { CaptchaErrorCode } from '../contracts/captcha-error-body';
import { captchaMessage } from './captcha-messages';
import {
  CaptchaException,
  CaptchaRequiredException,
  CaptchaUnavailableException,
} from './captcha.exception';
import { CaptchaUnavailableError } from './captcha-unavailable.error';

/**
 * The `extensions` of a {@link CaptchaGraphQLError}: the HTTP answer's fields.
 * @public
 */
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
 * @public
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
 * becomes `captcha_required` naming it, a fallback method a 503 with `details.fallback`. It
 * catches only this library's exceptions: a rate limit, CSRF or validation error elsewhere passes
 * through to the app's own handling untouched.
 *
 * A {@link CaptchaUnavailableError} that a service's `CaptchaVerifier.verify()` let through is
 * answered as the outage contract says (503 `captcha_unavailable`, `Retry-After`,
 * `details: { provider, fallback }` with the module's fallback), not as a 500.
 *
 * For GraphQL resolvers it writes no response: it returns a {@link CaptchaGraphQLError} with the same
 * code and details, which the GraphQL server reports in `errors[]`. On other transports it never
 * touches the HTTP adapter: a gateway's client receives `{ event: 'exception', data }` (sent on
 * `@nestjs/platform-ws`, emitted on socket.io), a message handler's caller an error (a failed
 * observable, as for an `RpcException`), `data` and the error being the HTTP body with
 * `status: 'error'`.
 *
 * `@RequireCaptcha()` applies it to the route; register it globally with
 * `app.useGlobalFilters(new CaptchaExceptionFilter(app.get(HttpAdapterHost)))` (or
 * `app.get(CaptchaExceptionFilter)`, which also reads the module's `messages`) for services
 * that verify themselves.
 *
 * The `message` is localized from `Accept-Language` (en, es, fr, de, pt, ja, zh, ru, and the
 * module's `messages` overrides), with `Content-Language` set; the rest of the body never changes.
 * @public
 */
@Catch(CaptchaException, CaptchaUnavailableError)
export class CaptchaExceptionFilter implements ExceptionFilter<
  CaptchaException | CaptchaUnavailableError
> {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(CAPTCHA_OPTIONS) private readonly options?: ResolvedCaptchaOptions,
  ) {}

  catch(
    thrown: CaptchaException | CaptchaUnavailableError,
    host: ArgumentsHost,
  ): CaptchaGraphQLError | Observable<never> | void {
    const exception =
      thrown instanceof CaptchaUnavailableError ? CaptchaUnavailableException.from(thrown) : thrown;
    // A fallback provider is answered as `captcha_required` naming it: the client renders that
    // widget and retries at once.
    const fallback =
      exception instanceof CaptchaUnavailableException ? exception.fallbackChallenge : undefined;
    const answer = fallback ? new CaptchaRequiredException(fallback) : exception;
    const type = host.getType<string>();
    const { language, message } = captchaMessage(
      answer.code,
      // A gateway's is its connection's upgrade request (when known); a message handler has none.
      acceptLanguageOf(type !== 'rpc' ? captchaRequestOf(host) : undefined),
      this.options?.messages,
    );
    if (type === 'graphql') return new CaptchaGraphQLError(answer, message);
    if (type !== 'http') return answerOffHttp(answer, message, host);

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

/**
 * The answer to a WebSocket gateway's or microservice handler's message, where there is no HTTP
 * response: the HTTP body (`statusCode`, `error`, `details`, `message`) with Nest's
 * `status: 'error'`.
 * - `rpc`: a failed observable, what Nest's `BaseRpcExceptionFilter` returns for an
 *   `RpcException` carrying an object: the caller's observable errors with the body at once.
 * - `ws`: the client receives `{ event: 'exception', data: body }` ({@link sendWsException}), the
 *   event Nest's `BaseWsExceptionFilter` emits, actually sent on `@nestjs/platform-ws` too.
 */
function answerOffHttp(
  answer: CaptchaException,
  message: string,
  host: ArgumentsHost,
): Observable<never> | void {
  const body = { status: 'error', ...(answer.getResponse() as object), message };
  if (host.getType<string>() === 'rpc') return throwError(() => body);
  sendWsException(host.getArgByIndex<unknown>(0), body);
}

function acceptLanguageOf(request: unknown): string | undefined {
  const header = (request as { headers?: Record<string, unknown> })?.headers?.['accept-language'];
  return typeof header === 'string' ? header : undefined;
}
