import type { CaptchaContext } from '../conditions/captcha-condition';
import type { CaptchaVerification } from '../verification/captcha-verification.interface';

/**
 * What the checkpoint learned about a request: the context its conditions saw (reused by the
 * outcome interceptor) and the verification result (read by `@CaptchaResult()`). `WeakMap`s keep
 * it off the request object and let it go with the request.
 */
const contexts = new WeakMap<object, CaptchaContext>();
const results = new WeakMap<object, CaptchaVerification>();

export function setCaptchaContext(request: object, context: CaptchaContext): void {
  contexts.set(request, context);
}

export function getCaptchaContext(request: object): CaptchaContext | undefined {
  return contexts.get(request);
}

export function setCaptchaResult(request: object, result: CaptchaVerification): void {
  results.set(request, result);
}

export function getCaptchaResult(request: object): CaptchaVerification | undefined {
  return results.get(request);
}
