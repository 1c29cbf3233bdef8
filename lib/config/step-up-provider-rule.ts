import {
  CAPTCHA_STEP_UP_PROVIDERS,
  type CaptchaStepUpProviderName,
} from '../contracts/captcha-error-body';

// A leaf beside `step-up-option-rules.ts`, so the variables' table can name what it accepts.

/** What `stepUp.provider` (`CAPTCHA_STEP_UP_PROVIDER`) accepts. @internal */
export const STEP_UP_PROVIDER_ACCEPTED = `an interactive provider: ${CAPTCHA_STEP_UP_PROVIDERS.join(', ')} (recaptcha and recaptcha-v2 with v2 checkbox keys; recaptcha-v2 beside a recaptcha v3 provider)`;

/** Whether `value` names a provider a route may step up to. @internal */
export function isStepUpProvider(value: unknown): value is CaptchaStepUpProviderName {
  return (CAPTCHA_STEP_UP_PROVIDERS as readonly unknown[]).includes(value);
}
