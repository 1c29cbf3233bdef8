/**
 * `nestjs-captcha/client`: the browser half of the CAPTCHA protocol.
 *
 * {@link captchaFetch} sends a request like `fetch`; when the API answers `captcha_required` or
 * `captcha_invalid` (the bodies `CaptchaExceptionFilter` writes), it loads the named provider's
 * widget script once, renders the widget with `details.site_key` / `details.action` (ALTCHA:
 * `details.challenge_url`), waits for the token and sends the same request again with
 * `captcha: { provider, token }` in its JSON body. Every retry gets a fresh token; none is sent
 * twice. Dependency-free and framework-agnostic: ES modules for the browser.
 *
 * The client imports only its own modules and the shared contracts (provider names, the answers'
 * codes and body), compiled beside it into `dist/client`: no package and no server code. Serve
 * that folder as it is, or let a bundler take this entry point.
 */
export type { CaptchaErrorBody, CaptchaErrorCode } from '../contracts/captcha-error-body.js';
export type {
  CaptchaProviderName,
  CaptchaVerifierName,
} from '../contracts/captcha-provider-name.js';
export type {
  CaptchaChallenge,
  CaptchaFetchOptions,
  CaptchaRenderContext,
  CaptchaRenderer,
} from './captcha-client-types.js';
export { CaptchaScriptError, CaptchaWidgetError } from './captcha-client-errors.js';
export { readCaptchaError } from './captcha-answer.js';
export { captchaFetch } from './captcha-fetch.js';
export { loadScript } from './script-loader.js';
export { CAPTCHA_PROVIDERS, DEFAULT_SCRIPT_URLS } from './widget-script-urls.js';
