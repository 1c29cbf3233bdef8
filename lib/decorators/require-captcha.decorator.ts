import { applyDecorators, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { CaptchaFailureMode } from '../config/captcha-module-options.interface';
import type { CaptchaCondition } from '../conditions/captcha-condition';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import { outcomeHooksOf } from '../conditions/condition-internals';
import { CaptchaExceptionFilter } from '../errors/captcha-exception.filter';
import { CaptchaGuard } from '../guard/captcha.guard';
import { CaptchaOutcomeInterceptor } from '../guard/captcha-outcome.interceptor';

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
  /**
   * The provider(s) this route accepts, preferred first (challenges name it). Each must be
   * registered (`provider`, `providers` or `fallback`). Default: the module's primary provider.
   * A client states its provider with `captcha.provider`, the widget field or `x-captcha-provider`.
   */
  provider?: CaptchaProviderName | readonly CaptchaProviderName[];
  /** This route's outage policy, overriding the module's `failureMode`. */
  failureMode?: CaptchaFailureMode;
}

/** Metadata carrier of {@link RequireCaptcha}; read with `reflector.getAllAndOverride`. */
export const CaptchaRequirement = Reflector.createDecorator<RequireCaptchaOptions>({
  key: 'nestjs-captcha:require',
});

/**
 * Puts the CAPTCHA checkpoint in front of a handler or every handler of a controller. Applies
 * {@link CaptchaGuard}, {@link CaptchaExceptionFilter} and, where `when` counts outcomes
 * (`failedAttempts`), the interceptor that feeds it: no other setup is needed.
 *
 * GraphQL resolvers:
 * - On a resolver class it protects the class's `@Query` and `@Mutation` handlers only, not its
 *   `@ResolveField` (nor `@ResolveReference`) handlers: a field resolved under a protected query
 *   must not spend its token again. A field needs its own handler-level `@RequireCaptcha`.
 * - On a `@ResolveField` handler it needs Nest to run enhancers on field resolvers:
 *   `GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards', 'interceptors', 'filters'] })`
 *   (`'interceptors'` only where `when` counts outcomes). Without them Nest never calls the
 *   checkpoint, so the app refuses to start. One token serves the field at every list index of
 *   one operation (`posts { privateNote }`); aliases and batched operations need one each.
 * - On a `@Subscription` (its own, or its class's) it is refused at start-up: protect the
 *   mutation that starts the flow, or verify with `CaptchaVerifier` in the resolver.
 *
 * @example
 * ```ts
 * @Post('login')
 * @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 3, window: '15m', per: 'ip' }) })
 * login(@Body() dto: LoginDto, @CaptchaResult() captcha?: CaptchaVerification) {}
 * ```
 */
export function RequireCaptcha(
  options: RequireCaptchaOptions = {},
): MethodDecorator & ClassDecorator {
  // The outcome interceptor costs every request Nest's interceptor machinery (~90 µs in the
  // benchmark), so it is installed only where a condition counts outcomes (`failedAttempts`).
  const countsOutcomes = options.when !== undefined && outcomeHooksOf(options.when).length > 0;
  return applyDecorators(
    CaptchaRequirement(options),
    UseGuards(CaptchaGuard),
    ...(countsOutcomes ? [UseInterceptors(CaptchaOutcomeInterceptor)] : []),
    UseFilters(CaptchaExceptionFilter),
  );
}
