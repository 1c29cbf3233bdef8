export {
  FakeCaptchaServer,
  type FakeCaptchaServerOptions,
  type RecordedRequest,
} from './fake-captcha-server';
export type { FaultOptions } from './fake-fault';
export type { FakeWidgetProvider, FakeWidgetScriptOptions } from './fake-widget-scripts';
export type { FakeCaptchalaServerToken } from './fake-captchala';
export type { FakeCaptchalaTokenKind, FakeProviderName, IssueTokenOptions } from './fake-provider';
export {
  CaptchaTestingModule,
  type CaptchaOverridableBuilder,
  type CaptchaTestingOptions,
} from './captcha-testing.module';
export { FAKE_MINT_TOKEN_PATH } from './fake-mint-request';
export { CAPTCHA_TEST_TOKENS, TestCaptchaProvider } from './test-captcha.provider';
