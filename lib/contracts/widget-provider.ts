import {
  RECAPTCHA_V2_STEP_UP,
  type CaptchaProviderName,
  type CaptchaVerifierName,
} from './captcha-provider-name';

/**
 * The provider whose widget a verifier's challenge names: `recaptcha` for the `recaptcha-v2`
 * step-up, else the verifier's own name.
 * @internal
 */
export function widgetProviderOf(name: CaptchaVerifierName): CaptchaProviderName {
  return name === RECAPTCHA_V2_STEP_UP ? 'recaptcha' : name;
}
