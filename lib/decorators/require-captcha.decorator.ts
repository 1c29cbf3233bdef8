import { applyDecorators, UseFilters, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { CaptchaCondition } from '../conditions/captcha-condition';
import { CaptchaExceptionFilter } from '../errors/captcha-exception.filter';
import { CaptchaGuard } from '../guard/captcha.guard';

/** Options of {@link RequireCaptcha}. */
export interface RequireCaptchaOptions {
  /**
   * The action tokens must be made for (reCAPTCHA v3, Turnstile) and the label in logs and
   * metrics. Written in code, never taken from the request.
   */
  action?: string;
  /** When to challenge. Default: always. */
  when?: CaptchaCondition;
  /** Minimum score for this route (score-based providers); a reply without a score then fails. */
  minScore?: number;
}

/** Metadata carrier of {@link RequireCaptcha}; read with `reflector.getAllAndOverride`. */
export const CaptchaRequirement = Reflector.createDecorator<RequireCaptchaOptions>({
  key: 'nestjs-captcha:require',
});

/**
 * Puts the CAPTCHA checkpoint in front of a handler or every handler of a controller. Applies
 * {@link CaptchaGuard} and {@link CaptchaExceptionFilter} itself: no other setup is needed.
 *
 * @example
 * ```ts
 * @Post('login')
 * @RequireCaptcha({ action: 'login', when: (ctx) => failedLogins(ctx.clientIp) >= 3 })
 * login(@Body() dto: LoginDto, @CaptchaResult() captcha?: CaptchaVerification) {}
 * ```
 */
export function RequireCaptcha(
  options: RequireCaptchaOptions = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    CaptchaRequirement(options),
    UseGuards(CaptchaGuard),
    UseFilters(CaptchaExceptionFilter),
  );
}
