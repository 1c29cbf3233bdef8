import type { CaptchaCondition } from './captcha-condition';
import { CONDITION_SOURCES, defineCondition } from './condition-internals';

/**
 * Challenge every request. The default when `@RequireCaptcha()` has no `when`.
 *
 * @example
 * ```ts
 * @RequireCaptcha({ action: 'signup', when: always() })
 * ```
 *
 * @public
 */
export function always(): CaptchaCondition {
  return defineCondition('always', () => true, { [CONDITION_SOURCES]: [] });
}
