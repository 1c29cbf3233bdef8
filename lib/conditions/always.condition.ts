import type { CaptchaCondition } from './captcha-condition';

/**
 * Challenge every request. The default when `@RequireCaptcha()` has no `when`.
 *
 * @example
 * ```ts
 * @RequireCaptcha({ action: 'signup', when: always() })
 * ```
 */
export function always(): CaptchaCondition {
  const condition: CaptchaCondition = () => true;
  Object.defineProperty(condition, 'name', { value: 'always' });
  return condition;
}
