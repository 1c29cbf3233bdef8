/** Friendly Captcha v2: a `.frc-captcha` element the SDK turns into a widget; events carry the token. */
import type { CaptchaRenderer } from '../captcha-client-types.js';
import { CaptchaWidgetError } from '../captcha-client-errors.js';
import { missingScript, win } from './widget-api.js';

/** @internal */
export const renderFriendlyCaptcha: CaptchaRenderer = async (context) => {
  const { challenge, element, scriptUrl } = context;
  if (!win().frcaptcha) {
    if (!scriptUrl) throw missingScript(challenge.provider);
    await context.loadScript(scriptUrl, { module: true });
  }
  const widget = document.createElement('div');
  widget.className = 'frc-captcha';
  if (challenge.siteKey) widget.setAttribute('data-sitekey', challenge.siteKey);
  widget.setAttribute('data-start', 'auto');
  if (context.language) widget.setAttribute('data-lang', context.language);
  for (const [name, value] of Object.entries(context.widgetOptions)) {
    widget.setAttribute(name, String(value));
  }
  element.appendChild(widget);
  return new Promise<string>((resolve, reject) => {
    widget.addEventListener('frc:widget.complete', (event) =>
      resolve((event as CustomEvent<{ response: string }>).detail.response),
    );
    widget.addEventListener('frc:widget.error', (event) =>
      reject(
        new CaptchaWidgetError(
          `The friendly-captcha widget reported an error (${JSON.stringify((event as CustomEvent).detail?.error ?? null)})`,
          challenge,
        ),
      ),
    );
    const handle = win().frcaptcha?.createWidget?.({
      element: widget,
      sitekey: challenge.siteKey ?? undefined,
      startMode: 'auto',
      ...(context.language ? { language: context.language } : {}),
    });
    context.signal.addEventListener('abort', () => handle?.destroy?.(), { once: true });
  });
};
