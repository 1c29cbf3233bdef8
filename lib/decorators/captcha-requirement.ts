import { Reflector } from '@nestjs/core';
import type { CaptchaFailureMode } from '../config/captcha-module-options.interface';
import type { CaptchaCondition } from '../conditions/captcha-condition';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import type { CaptchaStepUpProviderName } from '../contracts/captcha-error-body';

// A leaf: the guard, the interceptor and the start-up scan read a route's requirement from here,
// while `@RequireCaptcha` (which applies the guard) imports them, never the reverse.

/**
 * Options of `@RequireCaptcha()`: what a route demands.
 *
 * @public
 */
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
  /**
   * The interactive provider a score-based proof steps up to when it scores under `minScore`:
   * the answer is `403 captcha_required` naming it (`details.step_up: true`), and its token is
   * then accepted once, for this action and client only. Must be registered (`stepUp`,
   * `providers` or `fallback`). Default: the module's `stepUp.provider`; `false` for none.
   * `'recaptcha-v2'`: the reCAPTCHA v2 checkbox beside a reCAPTCHA v3 provider (module
   * `stepUp: { provider: 'recaptcha-v2', siteKey, secretKey }`).
   */
  stepUp?: CaptchaStepUpProviderName | false;
  /** This route's outage policy, overriding the module's `failureMode`. */
  failureMode?: CaptchaFailureMode;
  /**
   * `true`: every request the condition challenges needs a fresh proof; a clearance (module
   * option `clearance`) is never honoured here, though a verified challenge here may issue one.
   */
  fresh?: boolean;
}

/**
 * Metadata carrier of `@RequireCaptcha()`; read with `reflector.getAllAndOverride`.
 *
 * @public
 */
export const CaptchaRequirement = Reflector.createDecorator<RequireCaptchaOptions>({
  key: 'nestjs-captcha:require',
});
