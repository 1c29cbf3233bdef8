/** hCaptcha: `hcaptcha.render(el, { sitekey, callback })`, language as `hl`. */
import type { CaptchaRenderer } from '../captcha-client-types.js';
import { loadCallbackScript, renderWithCallback, win } from './widget-api.js';

/** @internal */
export const renderHcaptcha: CaptchaRenderer = async (context) => {
  const params: Record<string, string> = { render: 'explicit' };
  if (context.language) params.hl = context.language;
  const api = await loadCallbackScript(context, params, () => win().hcaptcha);
  return renderWithCallback(context, api, {});
};
