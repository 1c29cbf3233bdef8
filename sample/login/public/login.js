/* global document, AbortController, DOMException, setTimeout, clearTimeout */
// The sample's sign-in page script: a plain form posting JSON, with nestjs-captcha/client doing
// the CAPTCHA half (widget on `captcha_required`, retry with the token). Served as a file, so the
// page's Content-Security-Policy needs no 'unsafe-inline'. Its texts come from the page (in the
// language the server chose from Accept-Language, the one the API's messages come in).
import { captchaFetch } from '/assets/nestjs-captcha/client/index.js';

const $ = (id) => document.getElementById(id);
const config = JSON.parse($('captcha-config')?.textContent || '{}');
const texts = config.texts ?? {};
const form = $('login-form');
const captcha = $('captcha');
const captchaMessage = $('captcha-message');
const status = $('status');
const statusDetail = $('status-detail');
const retry = $('retry');
const submit = $('submit');

const format = (template, values) =>
  String(template ?? '').replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ''));

function show(text, kind, detail = '') {
  status.textContent = text;
  status.dataset.kind = kind;
  statusDetail.textContent = detail;
  statusDetail.hidden = !detail;
}

// Read when each request leaves, the first and every retry: a password corrected while the
// challenge shows is the one the retry carries (the inputs stay editable; the user sees what is
// sent).
const credentials = () =>
  JSON.stringify({ email: $('email').value, password: $('password').value });

async function signIn() {
  show('', 'pending');
  delete status.dataset.error;
  retry.hidden = true;
  submit.disabled = true;
  // A widget that never hands over a token (stuck, or its challenge never arrives) ends the
  // attempt after widgetTimeoutMs, with an error and a retry button, instead of waiting forever.
  const abort = new AbortController();
  let timer;
  const stopTimer = () => clearTimeout(timer);
  try {
    const response = await captchaFetch(
      '/auth/login',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: credentials(),
        signal: abort.signal,
      },
      {
        container: '#captcha-widget',
        scriptUrls: config.scriptUrls,
        recaptchaMode: config.recaptchaMode,
        language: config.language,
        retryBody: credentials,
        onChallenge(challenge) {
          captcha.hidden = false;
          captcha.dataset.provider = challenge.provider;
          captcha.dataset.reason = challenge.reason ?? '';
          // The API's message, localized from the browser's Accept-Language, as the page is.
          captchaMessage.textContent = challenge.message;
          // Move focus to the challenge, so keyboard and screen-reader users land on it.
          captcha.focus();
          stopTimer();
          timer = setTimeout(
            () => abort.abort(new DOMException('widget timeout', 'TimeoutError')),
            config.widgetTimeoutMs ?? 120_000,
          );
        },
        onSolved: stopTimer,
      },
    );
    stopTimer();
    captcha.hidden = true;
    const body = await response.json().catch(() => null);
    if (response.ok) {
      show(format(texts.signedIn, { email: body?.email }), 'success');
      $('password').value = '';
    } else if (response.status === 401) {
      show(texts.wrongCredentials, 'error');
    } else if (typeof body?.error === 'string' && body.error.startsWith('captcha_')) {
      // CAPTCHA answers (captcha_unavailable, a last captcha_invalid) carry a localized message.
      show(body.message, 'error');
    } else {
      // Anything else (e.g. the ValidationPipe's English 400): the page's own words.
      show(format(texts.serverError, { status: response.status }), 'error');
    }
  } catch (error) {
    stopTimer();
    captcha.hidden = true;
    // TimeoutError (our timer), CaptchaScriptError (the widget script was blocked, e.g. by CSP,
    // or did not load) or CaptchaWidgetError (the widget reported an error): say so, keep the
    // technical detail for the developer, and offer a retry.
    const timedOut = error?.name === 'TimeoutError';
    show(
      timedOut ? texts.widgetTimeout : texts.widgetFailed,
      'error',
      timedOut ? '' : error instanceof Error ? error.message : String(error),
    );
    status.dataset.error = timedOut ? 'timeout' : (error?.name ?? 'Error');
    retry.hidden = false;
  } finally {
    submit.disabled = false;
    if (!retry.hidden) retry.focus();
    else if (document.activeElement === document.body) submit.focus();
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn();
});
retry.addEventListener('click', () => void signIn());
