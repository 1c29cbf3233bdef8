import { CaptchaOutcomeInterceptor } from './captcha-outcome.interceptor';

/**
 * Nest's interceptor metadata key (`INTERCEPTORS_METADATA` of `@nestjs/common/constants`, stable
 * since Nest 4 but not a public export; a test pins it).
 *
 * @internal
 */
export const NEST_INTERCEPTORS_METADATA = '__interceptors__';

/**
 * Whether {@link CaptchaOutcomeInterceptor} is on a handler or class (own or inherited, as Nest
 * reads it).
 *
 * @internal
 */
export function hasOutcomeInterceptor(target: object): boolean {
  const interceptors = Reflect.getMetadata(NEST_INTERCEPTORS_METADATA, target) as
    unknown[] | undefined;
  return Array.isArray(interceptors) && interceptors.includes(CaptchaOutcomeInterceptor);
}

/**
 * Takes {@link CaptchaOutcomeInterceptor} off a handler's or class's own interceptor list (not one
 * it inherits), in place, before Nest builds its routes and reads the list.
 *
 * Why edit Nest's private metadata: `@RequireCaptcha` must install the interceptor when it is
 * applied, before it can know the route's transport; on an HTTP route whose outcome the status
 * says the guard reports from the response instead, and the interceptor machinery Nest would
 * otherwise run on every request is the larger part of a calm route's cost.
 * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-outcome-interceptor. The only place that writes the key.
 *
 * @internal
 */
export function takeOutcomeInterceptorOff(target: object): void {
  const interceptors = Reflect.getOwnMetadata(NEST_INTERCEPTORS_METADATA, target) as
    unknown[] | undefined;
  if (!Array.isArray(interceptors)) return;
  const at = interceptors.indexOf(CaptchaOutcomeInterceptor);
  if (at !== -1) interceptors.splice(at, 1);
}
