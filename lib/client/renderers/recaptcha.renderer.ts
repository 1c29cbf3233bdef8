/** reCAPTCHA v2/v3 and reCAPTCHA Enterprise, one renderer with an `enterprise` switch. */
import type { CaptchaRenderContext } from '../captcha-client-types.js';
import { loadCallbackScript, renderWithCallback, win, type WidgetApi } from './widget-api.js';

/**
 * reCAPTCHA and reCAPTCHA Enterprise: the v2 checkbox (`render`) or v3's score (`execute`).
 * @internal
 */
export async function renderRecaptcha(
  context: CaptchaRenderContext,
  enterprise: boolean,
): Promise<string> {
  const { challenge, widgetOptions } = context;
  const mode = context.recaptchaMode ?? (enterprise ? 'score' : 'checkbox');
  const siteKey = challenge.siteKey ?? '';
  const pick = () => (enterprise ? win().grecaptcha?.enterprise : win().grecaptcha);
  const params: Record<string, string> =
    mode === 'score' ? { render: siteKey } : { render: 'explicit' };
  if (context.language) params.hl = context.language;
  const api = await loadCallbackScript(
    context,
    params,
    pick,
    (loaded) => typeof (mode === 'score' ? loaded?.execute : loaded?.render) === 'function',
  );
  if (mode === 'score') {
    await new Promise<void>((resolve) => (api.ready ? api.ready(resolve) : resolve()));
    return (api.execute as NonNullable<WidgetApi['execute']>)(siteKey, {
      action: challenge.action ?? undefined,
      ...widgetOptions,
    });
  }
  return renderWithCallback(context, api, {
    ...(enterprise && challenge.action ? { action: challenge.action } : {}),
  });
}
