export { CaptchaConfigError } from './captcha-config.error';
export type {
  AltchaAdaptiveOptions,
  AltchaOptions,
  CaptchaAuditEvent,
  CaptchaAuditSink,
  CaptchaCircuitBreakerOptions,
  CaptchaFailureMode,
  CaptchaFallback,
  CaptchalaErrorMeaning,
  CaptchalaOptions,
  CaptchaModuleOptions,
  CaptchaRedisClient,
  CaptchaRedisOptions,
  CaptchaSecret,
  CaptchaStepUpOptions,
  CaptchaTokenExtractor,
  CaptchaClearanceOptions,
} from './captcha-module-options.interface';
export {
  captchaOptionsFromEnv,
  type CaptchaConfigReader,
  type CaptchaOptionsFromEnvSettings,
} from './captcha-options-from-env';
export { CAPTCHA_OPTION_DEFAULTS, resolveCaptchaOptions } from './resolve-captcha-options';
export type { ResolvedAltchaAdaptive, ResolvedCaptchaOptions } from './resolved-captcha-options';
