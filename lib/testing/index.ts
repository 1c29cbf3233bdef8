export {
  FakeCaptchaServer,
  type FakeCaptchaServerOptions,
  type RecordedRequest,
} from './fake-captcha-server';
export type { FaultOptions } from './fake-fault';
export type { FakeProviderName, IssueTokenOptions } from './fake-provider';
