/**
 * What the built-in renderers share: the widget APIs' common shape, scripts that signal readiness
 * through an `onload=` callback, and `render(element, { sitekey, callback })` widgets.
 */
import type { CaptchaProviderName } from '../../contracts/captcha-provider-name.js';
import type { CaptchaRenderContext } from '../captcha-client-types.js';
import { CaptchaScriptError, CaptchaWidgetError } from '../captcha-client-errors.js';

/**
 * The part of the widget APIs the renderers use.
 * @internal
 */
export interface WidgetApi {
  render(element: HTMLElement | string, params: Record<string, unknown>): string | number;
  reset?(id?: string | number): void;
  remove?(id?: string | number): void;
  ready?(callback: () => void): void;
  execute?(siteKey: string, options: { action?: string }): Promise<string>;
}

/** @internal */
export type WindowWithWidgets = Window & {
  turnstile?: WidgetApi;
  hcaptcha?: WidgetApi;
  grecaptcha?: WidgetApi & { enterprise?: WidgetApi };
  frcaptcha?: {
    createWidget?(options: Record<string, unknown>): { destroy?(): void } | undefined;
  };
  [callback: string]: unknown;
};

/** @internal The page's window, with the globals the widget scripts define. */
export const win = () => window as unknown as WindowWithWidgets;

/** Per provider, resolved when its script calls the `onload=` callback it was given. */
const onloadCalled = new Map<CaptchaProviderName, Promise<void>>();

function onloadCallback(provider: CaptchaProviderName): { name: string; called: Promise<void> } {
  const name = `__nestjsCaptchaOnload_${provider.replace(/\W/g, '_')}`;
  let called = onloadCalled.get(provider);
  if (!called) {
    called = new Promise<void>((resolve) => {
      win()[name] = () => resolve();
    });
    onloadCalled.set(provider, called);
  }
  return { name, called };
}

/**
 * Loads a widget script that signals readiness through an `onload=<callback>` query parameter
 * (Turnstile, hCaptcha, reCAPTCHA) and resolves with its API once `isReady` says it is usable.
 * @internal
 */
export async function loadCallbackScript(
  context: CaptchaRenderContext,
  params: Record<string, string>,
  api: () => WidgetApi | undefined,
  isReady: (api: WidgetApi | undefined) => boolean = (loaded) =>
    typeof loaded?.render === 'function',
): Promise<WidgetApi> {
  const { challenge, scriptUrl } = context;
  if (isReady(api())) return api() as WidgetApi;
  if (!scriptUrl) throw missingScript(challenge.provider);
  const url = new URL(scriptUrl, document.baseURI);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const onload = onloadCallback(challenge.provider);
  url.searchParams.set('onload', onload.name);
  await context.loadScript(url.href);
  if (!isReady(api())) {
    // Loaded, but the API comes later (reCAPTCHA loads a second file): wait for the callback.
    await Promise.race([onload.called, aborted(context.signal)]);
  }
  const result = api();
  if (!isReady(result)) {
    throw new CaptchaScriptError(
      `${url.href} loaded but defined no ${challenge.provider} API: is it the provider's widget script?`,
      challenge.provider,
      url.href,
    );
  }
  return result as WidgetApi;
}

/** @internal Rejects with the signal's reason once it aborts. */
export function aborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** @internal No script URL for a provider that needs one: say where to get one. */
export function missingScript(provider: CaptchaProviderName): CaptchaScriptError {
  const hint =
    provider === 'altcha'
      ? `serve the \`altcha\` package's widget (node_modules/altcha/dist/…) from your app and ` +
        `pass its URL as options.scriptUrls.altcha, or import 'altcha' in your bundle`
      : `pass options.scriptUrls["${provider}"]`;
  return new CaptchaScriptError(`No widget script URL for ${provider}: ${hint}`, provider, null);
}

/**
 * Renders a widget whose API takes `render(element, { sitekey, callback, … })` and resolves with
 * the token its callback hands over; the widget is removed when the context's signal aborts.
 * @internal
 */
export function renderWithCallback(
  context: CaptchaRenderContext,
  api: WidgetApi,
  params: Record<string, unknown>,
): Promise<string> {
  const { challenge, element, signal } = context;
  return new Promise<string>((resolve, reject) => {
    const fail = (what: string) => (code?: unknown) =>
      reject(
        new CaptchaWidgetError(
          `The ${challenge.provider} widget reported ${what}${code !== undefined ? ` (${String(code)})` : ''}`,
          challenge,
        ),
      );
    const id = api.render(element, {
      sitekey: challenge.siteKey ?? undefined,
      ...params,
      ...context.widgetOptions,
      callback: (token: string) => resolve(token),
      'error-callback': fail('an error'),
    });
    signal.addEventListener(
      'abort',
      () => {
        try {
          if (api.remove) api.remove(id);
          else api.reset?.(id);
        } catch {
          // the widget is gone already
        }
      },
      { once: true },
    );
  });
}
