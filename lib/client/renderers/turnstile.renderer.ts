/** Cloudflare Turnstile: `turnstile.render(el, { sitekey, action, callback })`. */
import type { CaptchaRenderer } from '../captcha-client-types.js';
import { loadCallbackScript, renderWithCallback, win } from './widget-api.js';

/** @internal */
export const renderTurnstile: CaptchaRenderer = async (context) => {
  const api = await loadCallbackScript(context, { render: 'explicit' }, () => win().turnstile);
  const { action } = context.challenge;
  return renderWithCallback(context, api, {
    ...(action ? { action } : {}),
    ...(context.language ? { language: context.language } : {}),
  });
};
