/**
 * ALTCHA: the `<altcha-widget>` element (served by the app) solves the proof of work itself and
 * hands over its payload; it fetches its challenge from `details.challenge_url`.
 */
import type { CaptchaRenderer } from '../captcha-client-types.js';
import { CaptchaWidgetError } from '../captcha-client-errors.js';
import { aborted, missingScript } from './widget-api.js';

/** @internal */
export const renderAltcha: CaptchaRenderer = async (context) => {
  const { challenge, element, scriptUrl } = context;
  if (!customElements.get('altcha-widget')) {
    if (!scriptUrl) throw missingScript('altcha');
    await context.loadScript(scriptUrl, { module: true });
    await Promise.race([customElements.whenDefined('altcha-widget'), aborted(context.signal)]);
  }
  const widget = document.createElement('altcha-widget');
  if (challenge.challengeUrl) widget.setAttribute('challenge', challenge.challengeUrl);
  widget.setAttribute('name', 'altcha');
  if (context.language) widget.setAttribute('language', context.language);
  for (const [name, value] of Object.entries(context.widgetOptions)) {
    widget.setAttribute(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const token = new Promise<string>((resolve, reject) => {
    const take = (event: Event) => {
      const detail = (event as CustomEvent<{ payload?: string; state?: string }>).detail;
      if (detail?.payload && (event.type === 'verified' || detail.state === 'verified')) {
        resolve(detail.payload);
      } else if (detail?.state === 'error') {
        // E.g. the challenge could not be fetched: fail as the other widgets' error callbacks do.
        reject(new CaptchaWidgetError('The altcha widget reported an error', challenge));
      }
    };
    widget.addEventListener('verified', take);
    widget.addEventListener('statechange', take);
  });
  element.appendChild(widget);
  return token;
};
