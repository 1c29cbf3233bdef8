import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { getCaptchaResult } from '../guard/captcha-request-state';
import { captchaRequestOf } from '../http/captcha-request';

/**
 * Injects the request's {@link CaptchaVerification} into a handler: `undefined` when no challenge
 * was due. Useful for step-up decisions on a low score. Works in controllers and GraphQL resolvers.
 *
 * @example
 * ```ts
 * login(@CaptchaResult() captcha?: CaptchaVerification) {
 *   if (captcha?.score !== undefined && captcha.score < 0.7) requireOtp();
 * }
 * ```
 */
export const CaptchaResult = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  getCaptchaResult(captchaRequestOf(context) as object),
);
