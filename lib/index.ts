export { CaptchaModule } from './captcha.module';
export { CAPTCHA_OPTIONS, CAPTCHA_PROVIDER } from './captcha.module-definition';
export type { CaptchaModuleExtras, CaptchaOptionsFactory } from './captcha.module-definition';
export * from './config';
export * from './conditions/captcha-condition';
export * from './conditions/always.condition';
export * from './conditions/combinators';
export * from './conditions/duration';
export * from './conditions/subject-key';
export * from './conditions/failed-attempts.condition';
export * from './conditions/request-rate.condition';
export * from './conditions/ip-in.condition';
export * from './conditions/ip-reputation.condition';
export * from './conditions/suspicious-client.condition';
export * from './conditions/tenant-policy.condition';
export * from './conditions/captcha-risk.service';
export * from './decorators/require-captcha.decorator';
export * from './decorators/skip-captcha.decorator';
export * from './decorators/captcha-result.decorator';
export * from './guard/captcha.guard';
export * from './guard/captcha-outcome.interceptor';
export * from './guard/captcha-context.factory';
export { CaptchaClearances } from './clearance/captcha-clearances.service';
export { CLEARANCE_COOKIE, CLEARANCE_HEADER } from './clearance/clearance-transport';
export type {
  CaptchaClearanceOutcome,
  ResolvedCaptchaClearance,
} from './clearance/clearance-outcome';
export type {
  CaptchaChallengeDetails,
  CaptchaErrorBody,
  CaptchaErrorCode,
  CaptchaStepUpDetails,
  CaptchaStepUpProviderName,
} from './contracts/captcha-error-body';
export { STEP_UP_NOT_GRANTED } from './contracts/captcha-error-body';
export * from './errors/captcha.exception';
export * from './errors/captcha-exception.filter';
export * from './errors/captcha-unavailable.error';
export * from './errors/captcha-messages';
export * from './http/captcha-token-extractor';
export * from './http/captcha-request';
export * from './transports/captcha-transport';
export * from './http/client-ip-resolver';
export * from './contracts/captcha-provider-name';
export type * from './providers/captcha-provider.interface';
export type { AltchaChallenge } from './providers/altcha.provider';
export type {
  CaptchalaChallengeOptions,
  CaptchalaServerToken,
} from './providers/captchala.provider';
export * from './stores/captcha-store.interface';
export * from './stores/memory-captcha.store';
export * from './stores/redis-captcha.store';
export * from './stores/captcha-store.error';
export * from './stores/hash-store-key';
export * from './contracts/captcha-reason';
export type * from './verification/captcha-verification.interface';
export * from './verification/captcha-verifier.service';
export * from './csp/captcha-csp-directives';
