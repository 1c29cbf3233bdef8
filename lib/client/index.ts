/**
 * `nestjs-captcha/client`: the browser half of the CAPTCHA protocol.
 *
 * {@link captchaFetch} sends a request like `fetch`; when the API answers `captcha_required` or
 * `captcha_invalid` (the bodies `CaptchaExceptionFilter` writes), it loads the named provider's
 * widget script once, renders the widget with `details.site_key` / `details.action` (ALTCHA:
 * `details.challenge_url`), waits for the token and sends the same request again with
 * `captcha: { provider, token }` in its JSON body. Every retry gets a fresh token; none is sent
 * twice. Dependency-free and framework-agnostic: an ES module for the browser.
 *
 * This file must stay self-contained (no imports): it is compiled to a single ES module,
 * `dist/client/index.js`, which apps may serve as it is.
 */

/** The providers the server may name in `details.provider`. */
export type CaptchaProviderName =
  | 'turnstile'
  | 'recaptcha'
  | 'recaptcha-enterprise'
  | 'hcaptcha'
  | 'friendly-captcha'
  | 'altcha'
  | 'captchala';

/** Every provider the client can render, in the server's order. */
export const CAPTCHA_PROVIDERS: readonly CaptchaProviderName[] = Object.freeze([
  'turnstile',
  'recaptcha',
  'recaptcha-enterprise',
  'hcaptcha',
  'friendly-captcha',
  'altcha',
  'captchala',
]);

/**
 * Where each provider's widget script is loaded from unless `options.scriptUrls` says otherwise.
 * `null`: there is no public URL. ALTCHA's widget is served by your app (npm `altcha`); CaptchaLa
 * does not publish its loader's URL.
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

/** The `error` field of the server's CAPTCHA answers. */
export type CaptchaErrorCode = 'captcha_required' | 'captcha_invalid' | 'captcha_unavailable';

/** A CAPTCHA answer's body, as `CaptchaExceptionFilter` writes it. */
export interface CaptchaErrorBody {
  statusCode: number;
  error: CaptchaErrorCode;
  /** User-safe and localized from the request's `Accept-Language`: show it to the user. */
  message: string;
  details: {
    provider?: CaptchaProviderName;
    site_key?: string | null;
    action?: string | null;
    challenge_url?: string;
    /** `captcha_invalid`: why the token failed (`duplicate`, `expired`, …). */
    reason?: string;
    /** `captcha_unavailable`: a fallback method of the app, e.g. `email_otp`. */
    fallback?: string | null;
    [key: string]: unknown;
  };
}

/** One challenge the API asked for: what {@link CaptchaFetchOptions.onChallenge} receives. */
export interface CaptchaChallenge {
  code: 'captcha_required' | 'captcha_invalid';
  provider: CaptchaProviderName;
  siteKey: string | null;
  action: string | null;
  /** ALTCHA: where the widget fetches its challenge, resolved against the request's URL. */
  challengeUrl: string | null;
  /** `captcha_invalid`: why the previous token failed; `null` for `captcha_required`. */
  reason: string | null;
  /** The API's localized, user-safe message. */
  message: string;
  /** The HTTP status of the answer (403). */
  status: number;
  /** Which token this challenge asks for, from 1 to `maxAttempts`. */
  attempt: number;
  /** The answer's body as received. */
  body: CaptchaErrorBody;
}

/** What a custom renderer gets: where to render, for which challenge. */
export interface CaptchaRenderContext {
  challenge: CaptchaChallenge;
  /** A fresh element inside the container, removed after the token is taken. */
  element: HTMLElement;
  /** Aborted when the request is aborted; stop and reject then. */
  signal: AbortSignal;
  /** The script URL for the provider (after `options.scriptUrls`), if any. */
  scriptUrl: string | null;
  /** Loads a script once per URL; rejects with {@link CaptchaScriptError}. */
  loadScript(url: string, options?: { module?: boolean }): Promise<void>;
  /** `options.widgetOptions[provider]`. */
  widgetOptions: Record<string, unknown>;
  /** `options.language`. */
  language?: string;
  /** `options.recaptchaMode`. */
  recaptchaMode?: 'checkbox' | 'score';
}

/** Renders a widget into `context.element` and resolves with its token. */
export type CaptchaRenderer = (context: CaptchaRenderContext) => Promise<string>;

/** Options of {@link captchaFetch}. */
export interface CaptchaFetchOptions {
  /**
   * Where the widget is rendered: an element, a CSS selector, or a function of the challenge
   * returning one (e.g. open a dialog first). Default: a `<div data-nestjs-captcha>` appended to
   * `document.body` and removed afterwards.
   */
  container?:
    HTMLElement | string | ((challenge: CaptchaChallenge) => HTMLElement | Promise<HTMLElement>);
  /** Per provider, where its widget script comes from (a mirror, your own copy, a test fake). */
  scriptUrls?: Partial<Record<CaptchaProviderName, string>>;
  /** How many tokens one call may try before the last answer is returned (default 3). */
  maxAttempts?: number;
  /** Called for each challenge before the widget renders: show `challenge.message`. */
  onChallenge?: (challenge: CaptchaChallenge) => void;
  /** Called when the widget produced a token, before the request is sent again. */
  onSolved?: (challenge: CaptchaChallenge) => void;
  /**
   * The body of each retry, read when the retry is sent (default: `init.body`). The token is
   * merged into it as into `init.body`. Use it when the user may edit the request while the
   * widget shows, e.g. `() => JSON.stringify(readForm())`: the retry then carries what the form
   * holds now, not what it held when the first request left.
   */
  retryBody?: (challenge: CaptchaChallenge) => BodyInit | null | Promise<BodyInit | null>;
  /** Replace or add the rendering of a provider (required for CaptchaLa). */
  renderers?: Partial<Record<CaptchaProviderName, CaptchaRenderer>>;
  /**
   * Extra widget parameters per provider, merged into `render(el, params)` (Turnstile, hCaptcha,
   * reCAPTCHA v2), set as attributes (ALTCHA, Friendly Captcha), e.g.
   * `{ altcha: { auto: 'onload' }, turnstile: { theme: 'dark' } }`.
   */
  widgetOptions?: Partial<Record<CaptchaProviderName, Record<string, unknown>>>;
  /**
   * reCAPTCHA: `'checkbox'` renders the v2 widget, `'score'` runs v3's `execute`. Default:
   * `'checkbox'` for `recaptcha`, `'score'` for `recaptcha-enterprise`.
   */
  recaptchaMode?: 'checkbox' | 'score';
  /** The widget's language, where the provider takes one (default: the provider's choice). */
  language?: string;
  /** A CSP nonce for the script tags the client adds. */
  nonce?: string;
  /** How long a widget script may take to load (default 15 000 ms). */
  scriptTimeoutMs?: number;
  /** How long to wait for the user to solve the widget (default: no limit). */
  tokenTimeoutMs?: number;
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

/**
 * The widget script could not be loaded (blocked by the page's Content-Security-Policy, not
 * reachable, or not the script expected), or the page's policy blocked the widget's frames or
 * calls. The message says which and what to do: usually, merge `captchaCspDirectives(provider)`
 * from `nestjs-captcha` into the page's policy.
 */
export class CaptchaScriptError extends Error {
  override readonly name = 'CaptchaScriptError';
  /** The CSP directive that blocked the script, when a policy did. */
  readonly violatedDirective: string | null;

  constructor(
    message: string,
    readonly provider: CaptchaProviderName | null,
    readonly url: string | null,
    violatedDirective: string | null = null,
  ) {
    super(message);
    this.violatedDirective = violatedDirective;
  }

  /** Whether a Content-Security-Policy blocked the script. */
  get blockedByCsp(): boolean {
    return this.violatedDirective !== null;
  }
}

/** The widget failed, timed out, or its provider cannot be rendered here. */
export class CaptchaWidgetError extends Error {
  override readonly name = 'CaptchaWidgetError';

  constructor(
    message: string,
    readonly challenge: CaptchaChallenge,
  ) {
    super(message);
  }
}

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_SCRIPT_TIMEOUT_MS = 15_000;
const CHALLENGE_CODES: readonly string[] = ['captcha_required', 'captcha_invalid'];
const ERROR_CODES: readonly string[] = [...CHALLENGE_CODES, 'captcha_unavailable'];

/**
 * The CAPTCHA answer in a response (`captcha_required`, `captcha_invalid` or
 * `captcha_unavailable`), or `null` when it is something else. Reads a clone: the response's own
 * body stays unread.
 */
export async function readCaptchaError(response: Response): Promise<CaptchaErrorBody | null> {
  if (response.ok) return null;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return null;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return null;
  }
  if (!isRecord(body) || typeof body.error !== 'string' || !ERROR_CODES.includes(body.error)) {
    return null;
  }
  if (!isRecord(body.details)) return null;
  return body as unknown as CaptchaErrorBody;
}

/**
 * `fetch` with the CAPTCHA loop: on `captcha_required` / `captcha_invalid` it renders the widget
 * the answer names, waits for its token and sends the request again with
 * `captcha: { provider, token }` merged into the JSON body (other bodies: headers
 * `x-captcha-token` and `x-captcha-provider`). A fresh token per retry, never one sent before;
 * at most `maxAttempts` tokens, then the last answer is returned.
 *
 * Resolves with the final `Response`, as `fetch` would (its body unread): a success, the app's
 * own error (a 401), `captcha_unavailable`, or the last CAPTCHA answer. Rejects with
 * {@link CaptchaScriptError} when the widget script cannot load (often the page's CSP: merge
 * `captchaCspDirectives(provider)` from `nestjs-captcha` into it), with
 * {@link CaptchaWidgetError} when the widget fails, and with the abort reason when `signal`
 * aborts.
 *
 * @example
 * const response = await captchaFetch(
 *   '/auth/login',
 *   { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(dto) },
 *   { container: '#captcha', onChallenge: (c) => (note.textContent = c.message) },
 * );
 */
export async function captchaFetch(
  input: RequestInfo | URL,
  init: RequestInit = {},
  options: CaptchaFetchOptions = {},
): Promise<Response> {
  const send = options.fetch ?? globalThis.fetch.bind(globalThis);
  const maxAttempts = Math.max(0, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
  const isRequest = typeof Request !== 'undefined' && input instanceof Request;
  const template = isRequest ? (input as Request).clone() : null;
  const signal = init.signal ?? (isRequest ? (input as Request).signal : undefined) ?? undefined;
  const requestUrl = isRequest
    ? (input as Request).url
    : new URL(String(input), document.baseURI).href;

  // The body to merge tokens into, read once.
  let body: BodyInit | null | undefined = init.body;
  if (body === undefined && template && !['GET', 'HEAD'].includes(template.method)) {
    body = await template.clone().text();
  }
  const json = jsonObject(body);
  const used = new Set<string>();
  const earlier = json && isRecord(json.captcha) ? json.captcha.token : undefined;
  if (typeof earlier === 'string') used.add(earlier);

  let response = await send(input, init);
  for (let attempt = 1; ; attempt++) {
    const answer = await readCaptchaError(response);
    if (!answer || !CHALLENGE_CODES.includes(answer.error)) return response;
    if (attempt > maxAttempts) return response;
    const challenge = toChallenge(answer, response.status, attempt, requestUrl);
    options.onChallenge?.(challenge);
    const token = await solve(challenge, used, options, signal);
    used.add(token);
    options.onSolved?.(challenge);
    const retryBody = options.retryBody ? await options.retryBody(challenge) : body;
    const retry = withToken(
      retryBody,
      options.retryBody ? jsonObject(retryBody) : json,
      init.headers ?? template?.headers,
      token,
      challenge.provider,
    );
    response = template
      ? await send(new Request(template.clone(), { ...init, ...retry }))
      : await send(input, { ...init, ...retry });
  }
}

/** The parts of a retry that carry the token. */
function withToken(
  body: BodyInit | null | undefined,
  json: Record<string, unknown> | null,
  headersInit: HeadersInit | undefined,
  token: string,
  provider: CaptchaProviderName,
): { body?: BodyInit | null; headers: Headers } {
  const headers = new Headers(headersInit);
  if (json) {
    return { body: JSON.stringify({ ...json, captcha: { provider, token } }), headers };
  }
  // Not a JSON object: the token travels in headers, which the server reads last; form bodies
  // also get `captchaToken`, which the server reads before any widget field they may still hold.
  headers.set('x-captcha-token', token);
  headers.set('x-captcha-provider', provider);
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) {
    const form = new URLSearchParams(body);
    form.set('captchaToken', token);
    return { body: form, headers };
  }
  if (typeof FormData !== 'undefined' && body instanceof FormData) {
    const form = new FormData();
    body.forEach((value, key) => form.append(key, value));
    form.set('captchaToken', token);
    return { body: form, headers };
  }
  return { headers };
}

function jsonObject(body: BodyInit | null | undefined): Record<string, unknown> | null {
  if (typeof body !== 'string' || !body.trim().startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(body);
    return isRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function toChallenge(
  body: CaptchaErrorBody,
  status: number,
  attempt: number,
  requestUrl: string,
): CaptchaChallenge {
  const { details } = body;
  const provider = details.provider as CaptchaProviderName;
  return {
    code: body.error as CaptchaChallenge['code'],
    provider,
    siteKey: typeof details.site_key === 'string' ? details.site_key : null,
    action: typeof details.action === 'string' ? details.action : null,
    challengeUrl:
      typeof details.challenge_url === 'string'
        ? new URL(details.challenge_url, requestUrl).href
        : null,
    reason: typeof details.reason === 'string' ? details.reason : null,
    message: typeof body.message === 'string' ? body.message : '',
    status,
    attempt,
    body,
  };
}

/** Renders the widget for one challenge and resolves with a token not sent before. */
async function solve(
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
            `(${violation.directive} refused ${violation.blockedUri}). ${CSP_ADVICE(provider)}`,
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

// ---------------------------------------------------------------------------------------------
// Script loading

const CSP_ADVICE = (provider: CaptchaProviderName | null) =>
  `Allow the widget's sources in the page's policy: on the server, merge ` +
  `captchaCspDirectives(${provider ? `'${provider}'` : 'provider'}) from nestjs-captcha into it ` +
  `(mergeCspDirectives(yourDirectives, captchaCspDirectives(…))), or run ` +
  `\`npx nestjs-captcha doctor\` to print the sources.`;

interface CspViolation {
  directive: string;
  blockedUri: string;
}

/**
 * Resolves with the first CSP violation that concerns `url`'s origin (its frames, its API calls),
 * until stopped. Blocked scripts are left to {@link loadScript}, which reports them with their URL.
 */
function watchCspViolations(url: string | null): {
  violation: Promise<CspViolation>;
  stop(): void;
} {
  let stop = () => {};
  const violation = new Promise<CspViolation>((resolve) => {
    if (!url || typeof document === 'undefined') return;
    const origin = safeOrigin(url);
    const listener = (event: SecurityPolicyViolationEvent) => {
      if (event.disposition === 'report' || !/^https?:/i.test(event.blockedURI)) return;
      if (event.effectiveDirective.startsWith('script-src')) return;
      if (origin && safeOrigin(event.blockedURI) === origin) {
        resolve({ directive: event.effectiveDirective, blockedUri: event.blockedURI });
      }
    };
    document.addEventListener('securitypolicyviolation', listener);
    stop = () => document.removeEventListener('securitypolicyviolation', listener);
  });
  return { violation, stop: () => stop() };
}

const scripts = new Map<string, Promise<void>>();

/**
 * Adds `<script src=url>` once per URL (later calls share the first load) and resolves when it
 * has run. A failed load is forgotten, so a later call tries again. Rejects with
 * {@link CaptchaScriptError}, naming the CSP directive when a policy blocked it.
 */
export function loadScript(
  url: string,
  provider: CaptchaProviderName | null = null,
  options: { module?: boolean; nonce?: string; timeoutMs?: number } = {},
): Promise<void> {
  const absolute = new URL(url, document.baseURI).href;
  let loading = scripts.get(absolute);
  if (!loading) {
    loading = insertScript(absolute, provider, options);
    scripts.set(absolute, loading);
    loading.catch(() => scripts.delete(absolute));
  }
  return loading;
}

function insertScript(
  url: string,
  provider: CaptchaProviderName | null,
  options: { module?: boolean; nonce?: string; timeoutMs?: number },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    const violations: CspViolation[] = [];
    const onViolation = (event: SecurityPolicyViolationEvent) => {
      if (event.disposition !== 'report' && sameResource(event.blockedURI, url)) {
        violations.push({ directive: event.effectiveDirective, blockedUri: event.blockedURI });
      }
    };
    const timeoutMs = options.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
    const timer = setTimeout(() => fail('did not load within ' + timeoutMs + ' ms'), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      document.removeEventListener('securitypolicyviolation', onViolation);
    };
    function fail(what: string) {
      done();
      script.remove();
      const violation = violations[0];
      const name = provider ? `the ${provider} widget script` : 'the script';
      if (violation) {
        reject(
          new CaptchaScriptError(
            `Could not load ${name} ${url}: the page's Content-Security-Policy blocked it ` +
              `(${violation.directive}). ${CSP_ADVICE(provider)}`,
            provider,
            url,
            violation.directive,
          ),
        );
        return;
      }
      reject(
        new CaptchaScriptError(
          `Could not load ${name} ${url}: it ${what}. Check the URL (options.scriptUrls) and the ` +
            `network; if the page has a Content-Security-Policy, it may be blocking it. ` +
            CSP_ADVICE(provider),
          provider,
          url,
        ),
      );
    }
    document.addEventListener('securitypolicyviolation', onViolation);
    script.src = url;
    script.async = true;
    if (options.module) script.type = 'module';
    if (options.nonce) script.nonce = options.nonce;
    script.addEventListener('load', () => {
      done();
      resolve();
    });
    // The violation event is queued as a task of its own; give it a moment to arrive.
    script.addEventListener('error', () => setTimeout(() => fail('failed to load'), 50));
    document.head.appendChild(script);
  });
}

function sameResource(blocked: string, url: string): boolean {
  // 'inline', 'eval', 'blob', 'data': not a script URL.
  if (!/^https?:/i.test(blocked)) return false;
  if (blocked === url) return true;
  // Browsers report only the origin for cross-origin URLs after a redirect, or a stripped URL.
  return url.startsWith(blocked) || safeOrigin(blocked) === safeOrigin(url);
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url, document.baseURI).origin;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Built-in renderers

/** The part of the widget APIs the renderers use. */
interface WidgetApi {
  render(element: HTMLElement | string, params: Record<string, unknown>): string | number;
  reset?(id?: string | number): void;
  remove?(id?: string | number): void;
  ready?(callback: () => void): void;
  execute?(siteKey: string, options: { action?: string }): Promise<string>;
}

type WindowWithWidgets = Window & {
  turnstile?: WidgetApi;
  hcaptcha?: WidgetApi;
  grecaptcha?: WidgetApi & { enterprise?: WidgetApi };
  frcaptcha?: {
    createWidget?(options: Record<string, unknown>): { destroy?(): void } | undefined;
  };
  [callback: string]: unknown;
};

const win = () => window as unknown as WindowWithWidgets;

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
 */
async function loadCallbackScript(
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

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function missingScript(provider: CaptchaProviderName): CaptchaScriptError {
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
 */
function renderWithCallback(
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

const BUILT_IN_RENDERERS: Record<CaptchaProviderName, CaptchaRenderer | undefined> = {
  async turnstile(context) {
    const api = await loadCallbackScript(context, { render: 'explicit' }, () => win().turnstile);
    const { action } = context.challenge;
    return renderWithCallback(context, api, {
      ...(action ? { action } : {}),
      ...(context.language ? { language: context.language } : {}),
    });
  },

  async hcaptcha(context) {
    const params: Record<string, string> = { render: 'explicit' };
    if (context.language) params.hl = context.language;
    const api = await loadCallbackScript(context, params, () => win().hcaptcha);
    return renderWithCallback(context, api, {});
  },

  recaptcha: (context) => renderRecaptcha(context, false),
  'recaptcha-enterprise': (context) => renderRecaptcha(context, true),

  async 'friendly-captcha'(context) {
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
  },

  async altcha(context) {
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
  },

  // CaptchaLa publishes no widget script URL or browser API: pass
  // options.renderers.captchala, which may use context.loadScript(context.scriptUrl).
  captchala: undefined,
};

async function renderRecaptcha(
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
