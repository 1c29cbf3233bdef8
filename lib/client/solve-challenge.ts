/** One challenge solved: the widget rendered in its container, raced against CSP, abort and time. */
import type { CaptchaChallenge, CaptchaFetchOptions } from './captcha-client-types.js';
import { CaptchaScriptError, CaptchaWidgetError, cspAdvice } from './captcha-client-errors.js';
import { watchCspViolations } from './csp-violations.js';
import { BUILT_IN_RENDERERS } from './renderers/built-in-renderers.js';
import { DEFAULT_SCRIPT_TIMEOUT_MS, loadScript } from './script-loader.js';
import { DEFAULT_SCRIPT_URLS } from './widget-script-urls.js';

/**
 * Renders the widget for one challenge and resolves with a token not sent before.
 * @internal
 */
export async function solveChallenge(
  challenge: CaptchaChallenge,
  used: ReadonlySet<string>,
  options: CaptchaFetchOptions,
  signal: AbortSignal | undefined,
): Promise<string> {
  signal?.throwIfAborted();
  const { provider } = challenge;
  const renderer = options.renderers?.[provider] ?? BUILT_IN_RENDERERS[provider];
  if (!renderer) {
    throw new CaptchaWidgetError(
      `nestjs-captcha/client cannot render provider "${String(provider)}": pass options.renderers["${String(provider)}"]`,
      challenge,
    );
  }
  const container = await resolveContainer(options.container, challenge);
  const element = document.createElement('div');
  element.setAttribute('data-captcha-widget', provider);
  container.element.appendChild(element);

  const controller = new AbortController();
  const stop = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  const scriptUrl = options.scriptUrls?.[provider] ?? DEFAULT_SCRIPT_URLS[provider] ?? null;
  const timeoutMs = options.scriptTimeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
  const watch = watchCspViolations(scriptUrl);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const token = renderer({
      challenge,
      element,
      signal: controller.signal,
      scriptUrl,
      loadScript: (url, scriptOptions) =>
        loadScript(url, provider, { ...scriptOptions, nonce: options.nonce, timeoutMs }),
      widgetOptions: options.widgetOptions?.[provider] ?? {},
      language: options.language,
      recaptchaMode: options.recaptchaMode,
    });
    const racers: Promise<string>[] = [
      freshToken(token, used, challenge),
      watch.violation.then((violation) => {
        throw new CaptchaScriptError(
          `The ${provider} widget was blocked by the page's Content-Security-Policy ` +
            `(${violation.directive} refused ${violation.blockedUri}). ${cspAdvice(provider)}`,
          provider,
          violation.blockedUri,
          violation.directive,
        );
      }),
      new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
          once: true,
        });
      }),
    ];
    if (options.tokenTimeoutMs) {
      racers.push(
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new CaptchaWidgetError(
                  `The ${provider} widget gave no token within ${options.tokenTimeoutMs} ms`,
                  challenge,
                ),
              ),
            options.tokenTimeoutMs,
          );
        }),
      );
    }
    return await Promise.race(racers);
  } finally {
    if (timer) clearTimeout(timer);
    watch.stop();
    signal?.removeEventListener('abort', stop);
    controller.abort(); // tells the renderer to clean up
    element.remove();
    if (container.created) container.element.remove();
  }
}

async function freshToken(
  token: Promise<string>,
  used: ReadonlySet<string>,
  challenge: CaptchaChallenge,
): Promise<string> {
  const value = await token;
  if (typeof value !== 'string' || value === '') {
    throw new CaptchaWidgetError(`The ${challenge.provider} widget gave an empty token`, challenge);
  }
  if (used.has(value)) {
    throw new CaptchaWidgetError(
      `The ${challenge.provider} widget gave a token that was already sent; tokens are single-use`,
      challenge,
    );
  }
  return value;
}

async function resolveContainer(
  container: CaptchaFetchOptions['container'],
  challenge: CaptchaChallenge,
): Promise<{ element: HTMLElement; created: boolean }> {
  if (container === undefined) {
    const element = document.createElement('div');
    element.setAttribute('data-nestjs-captcha', '');
    document.body.appendChild(element);
    return { element, created: true };
  }
  const found =
    typeof container === 'string'
      ? document.querySelector<HTMLElement>(container)
      : typeof container === 'function'
        ? await container(challenge)
        : container;
  if (!found) {
    throw new CaptchaWidgetError(
      `nestjs-captcha/client: no element matches the container ${String(container)}`,
      challenge,
    );
  }
  return { element: found, created: false };
}
