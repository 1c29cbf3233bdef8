/** The renderer of each provider the client renders by itself. */
import type { CaptchaProviderName } from '../../contracts/captcha-provider-name.js';
import type { CaptchaRenderer } from '../captcha-client-types.js';
import { renderAltcha } from './altcha.renderer.js';
import { renderFriendlyCaptcha } from './friendly-captcha.renderer.js';
import { renderHcaptcha } from './hcaptcha.renderer.js';
import { renderRecaptcha } from './recaptcha.renderer.js';
import { renderTurnstile } from './turnstile.renderer.js';

/**
 * `options.renderers[provider]` replaces or adds to these.
 * @internal
 */
export const BUILT_IN_RENDERERS: Readonly<
  Record<CaptchaProviderName, CaptchaRenderer | undefined>
> = {
  turnstile: renderTurnstile,
  hcaptcha: renderHcaptcha,
  recaptcha: (context) => renderRecaptcha(context, false),
  'recaptcha-enterprise': (context) => renderRecaptcha(context, true),
  'friendly-captcha': renderFriendlyCaptcha,
  altcha: renderAltcha,
  // CaptchaLa publishes no widget script URL or browser API: pass
  // options.renderers.captchala, which may use context.loadScript(context.scriptUrl).
  captchala: undefined,
};
