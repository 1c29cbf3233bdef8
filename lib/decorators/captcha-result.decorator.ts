import {
  createParamDecorator,
  ExecutionContext,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import { getCaptchaResult, markReadsCaptchaResult } from '../guard/captcha-request-state';
import { captchaStateCarrierOf } from '../transports/captcha-transport';

const injectCaptchaResult = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  getCaptchaResult(captchaStateCarrierOf(context)),
);

/**
 * Injects the request's {@link CaptchaVerification} into a handler: `undefined` when no challenge
 * was due, or when a clearance (module option `clearance`) let the request through. Useful for step-up decisions on a low score. Works in controllers, GraphQL resolvers (per field: each alias
 * and operation has its own), gateways and message handlers.
 *
 * @example
 * ```ts
 * login(@CaptchaResult() captcha?: CaptchaVerification) {
 *   if (captcha?.score !== undefined && captcha.score < 0.7) requireOtp();
 * }
 * ```
 *
 * @public
 */
export function CaptchaResult(
  ...pipes: (Type<PipeTransform> | PipeTransform)[]
): ParameterDecorator {
  const inject = injectCaptchaResult(undefined, ...pipes);
  return (target, key, index) => {
    // The guard keeps the result only for handlers that read it. Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-request-state
    if (key !== undefined) markReadsCaptchaResult(target.constructor, key);
    inject(target, key, index);
  };
}
