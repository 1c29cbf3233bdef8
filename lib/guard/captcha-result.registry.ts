import type { CaptchaVerification } from '../verification/captcha-verification.interface';

/**
 * Verification results by request. A `WeakMap` keeps them off the request object (no ad-hoc
 * properties) and lets them go with the request.
 */
const results = new WeakMap<object, CaptchaVerification>();

export function setCaptchaResult(request: object, result: CaptchaVerification): void {
  results.set(request, result);
}

export function getCaptchaResult(request: object): CaptchaVerification | undefined {
  return results.get(request);
}
