import type { CaptchaContext } from '../../lib/conditions/captcha-condition';
import {
  getCaptchaContext,
  getCaptchaResult,
  setCaptchaContext,
  setCaptchaResult,
} from '../../lib/guard/captcha-request-state';
import type { CaptchaVerification } from '../../lib/verification/captcha-verification.interface';

const result: CaptchaVerification = { success: true, provider: 'turnstile', errorCodes: [] };
const context = { action: 'login' } as CaptchaContext;

describe('captcha request state', () => {
  it('keeps the result and the context with the request, out of its enumerable keys and JSON', () => {
    const request = { headers: {} };
    expect(getCaptchaResult(request)).toBeUndefined();
    setCaptchaResult(request, result);
    setCaptchaContext(request, context);
    expect(getCaptchaResult(request)).toBe(result);
    expect(getCaptchaContext(request)).toBe(context);
    expect(Object.keys(request)).toEqual(['headers']);
    expect(JSON.stringify(request)).toBe('{"headers":{}}');
  });

  it('works for a request that cannot take new properties', () => {
    const request = Object.freeze({ headers: {} });
    setCaptchaResult(request, result);
    setCaptchaContext(request, context);
    expect(getCaptchaResult(request)).toBe(result);
    expect(getCaptchaContext(request)).toBe(context);
    expect(getCaptchaResult(Object.freeze({}))).toBeUndefined();
  });
});
