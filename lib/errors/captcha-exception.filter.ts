import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CaptchaException, CaptchaUnavailableException } from './captcha.exception';

/**
 * Renders the CAPTCHA answers (`captcha_required`, `captcha_invalid`, `captcha_unavailable` with
 * `Retry-After`). It catches only this library's exceptions: a rate limit, CSRF or validation
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
    if (exception instanceof CaptchaUnavailableException) {
      httpAdapter.setHeader(response, 'Retry-After', String(exception.retryAfterSeconds));
    }
    httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
    httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}
