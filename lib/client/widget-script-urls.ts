/** The providers the client renders, and where their widget scripts come from by default. */
import {
  CAPTCHA_PROVIDER_NAMES,
  type CaptchaProviderName,
} from '../contracts/captcha-provider-name.js';

/**
 * Every provider the client can render, in the server's order (the server's own list).
 * @public
 */
export const CAPTCHA_PROVIDERS: readonly CaptchaProviderName[] = CAPTCHA_PROVIDER_NAMES;

/**
 * Where each provider's widget script is loaded from unless `options.scriptUrls` says otherwise.
 * `null`: there is no public URL. ALTCHA's widget is served by your app (npm `altcha`); CaptchaLa
 * does not publish its loader's URL.
 * @public
 */
export const DEFAULT_SCRIPT_URLS: Readonly<Record<CaptchaProviderName, string | null>> =
  Object.freeze({
    turnstile: 'https://challenges.cloudflare.com/turnstile/v0/api.js',
    recaptcha: 'https://www.google.com/recaptcha/api.js',
    'recaptcha-enterprise': 'https://www.google.com/recaptcha/enterprise.js',
    hcaptcha: 'https://js.hcaptcha.com/1/api.js',
    'friendly-captcha': 'https://cdn.jsdelivr.net/npm/@friendlycaptcha/sdk@0.2.0/site.min.js',
    altcha: null,
    captchala: null,
  });
