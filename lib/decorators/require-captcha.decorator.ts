import { applyDecorators, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { outcomeHooksOf } from '../conditions/condition-internals';
import { CaptchaExceptionFilter } from '../errors/captcha-exception.filter';
import { CaptchaGuard } from '../guard/captcha.guard';
import { CaptchaOutcomeInterceptor } from '../guard/captcha-outcome.interceptor';
import { CaptchaRequirement, type RequireCaptchaOptions } from './captcha-requirement';

export { CaptchaRequirement, type RequireCaptchaOptions } from './captcha-requirement';

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
 *
 * @public
 */
export function RequireCaptcha(
  options: RequireCaptchaOptions = {},
): MethodDecorator & ClassDecorator {
  // Only where a condition counts outcomes (`failedAttempts`). Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-outcome-interceptor
  const countsOutcomes = options.when !== undefined && outcomeHooksOf(options.when).length > 0;
  return applyDecorators(
    CaptchaRequirement(options),
    UseGuards(CaptchaGuard),
    ...(countsOutcomes ? [UseInterceptors(CaptchaOutcomeInterceptor)] : []),
    UseFilters(CaptchaExceptionFilter),
  );
}
