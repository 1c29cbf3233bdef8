/** `captchaFetch`: the request, the CAPTCHA answers it meets, and each retry with a fresh token. */
import { CAPTCHA_CHALLENGE_CODES } from '../contracts/captcha-error-body.js';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name.js';
import { isRecord, readCaptchaError, toChallenge } from './captcha-answer.js';
import type { CaptchaFetchOptions } from './captcha-client-types.js';
import { solveChallenge } from './solve-challenge.js';

const DEFAULT_MAX_ATTEMPTS = 3;
const CHALLENGE_CODES: readonly string[] = CAPTCHA_CHALLENGE_CODES;

/**
 * `fetch` with the CAPTCHA loop: on `captcha_required` / `captcha_invalid` it renders the widget
 * the answer names, waits for its token and sends the request again with
 * `captcha: { provider, token }` merged into the JSON body (other bodies: headers
 * `x-captcha-token` and `x-captcha-provider`). A fresh token per retry, never one sent before;
 * at most `maxAttempts` tokens, then the last answer is returned. A step-up (`captcha_required`
 * with `details.step_up` after a low score) renders the interactive widget it names and retries
 * once, on top of `maxAttempts`; its retry's answer is returned whatever it is, never looped on.
 * A step-up to reCAPTCHA renders the v2 checkbox; the retry states `details.answer_as` when the
 * answer gives one (`recaptcha-v2`: the checkbox's own keys), else the provider.
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
 * @public
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
  let steppedUp = false;
  for (let attempt = 1; ; attempt++) {
    const answer = await readCaptchaError(response);
    if (!answer || !CHALLENGE_CODES.includes(answer.error)) return response;
    // The step-up's one retry has been answered: whatever it says, never loop back.
    if (steppedUp) return response;
    steppedUp = answer.error === 'captcha_required' && answer.details.step_up === true;
    // A step-up gets its one retry on top of `maxAttempts` (unless CAPTCHAs are off: 0).
    if (attempt > maxAttempts && !(steppedUp && maxAttempts > 0)) return response;
    const challenge = toChallenge(answer, response.status, attempt, requestUrl);
    options.onChallenge?.(challenge);
    // A step-up to reCAPTCHA is its v2 checkbox, whatever the page's usual mode.
    const solveWith: CaptchaFetchOptions =
      challenge.provider === 'recaptcha' && (steppedUp || challenge.recaptchaMode === 'checkbox')
        ? { ...options, recaptchaMode: 'checkbox' }
        : options;
    const token = await solveChallenge(challenge, used, solveWith, signal);
    used.add(token);
    options.onSolved?.(challenge);
    const retryBody = options.retryBody ? await options.retryBody(challenge) : body;
    const retry = withToken(
      retryBody,
      options.retryBody ? jsonObject(retryBody) : json,
      init.headers ?? template?.headers,
      token,
      challenge.answerAs,
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
  provider: CaptchaVerifierName,
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
