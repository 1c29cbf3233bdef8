import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  CaptchaException,
  CaptchaRequiredException,
  CaptchaUnavailableException,
} from './captcha.exception';

/**
 * Renders the CAPTCHA answers (`captcha_required`, `captcha_invalid`, `captcha_unavailable` with
 * `Retry-After`), including the outage policy's closed and fallback answers: a fallback provider
 * becomes `captcha_required` naming it, a fallback method a 503 with `details.fallback`. It catches only this library's exceptions: a rate limit, CSRF or validation
 * error elsewhere passes through to the app's own handling untouched.
 *
 * `@RequireCaptcha()` applies it to the route; register it globally with
 * `app.useGlobalFilters(new CaptchaExceptionFilter(app.get(HttpAdapterHost)))` if you throw the
 * exceptions yourself.
 */
@Catch(CaptchaException)
export class CaptchaExceptionFilter implements ExceptionFilter<CaptchaException> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: CaptchaException, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
    if (exception instanceof CaptchaUnavailableException) {
      // Fallback to a second provider: the client renders that widget and retries at once.
      if (exception.fallbackChallenge) {
        const required = new CaptchaRequiredException(exception.fallbackChallenge);
        httpAdapter.reply(response, required.getResponse(), required.getStatus());
        return;
      }
      httpAdapter.setHeader(response, 'Retry-After', String(exception.retryAfterSeconds));
    }
    httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}
