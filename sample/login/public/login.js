/* global document */
// The sample's sign-in page script: a plain form posting JSON, with nestjs-captcha/client doing
// the CAPTCHA half (widget on `captcha_required`, retry with the token). Served as a file, so the
// page's Content-Security-Policy needs no 'unsafe-inline'.
import { captchaFetch } from '/assets/nestjs-captcha-client.js';

const $ = (id) => document.getElementById(id);
const config = JSON.parse($('captcha-config')?.textContent || '{}');
const form = $('login-form');
const captcha = $('captcha');
const captchaMessage = $('captcha-message');
const status = $('status');
const submit = $('submit');

function show(text, kind) {
  status.textContent = text;
  status.dataset.kind = kind;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  show('', 'pending');
  submit.disabled = true;
  try {
    const response = await captchaFetch(
      '/auth/login',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email: $('email').value, password: $('password').value }),
      },
      {
        container: '#captcha-widget',
        scriptUrls: config.scriptUrls,
        // The API's message is localized from the browser's Accept-Language: show it as is.
        onChallenge(challenge) {
          captcha.hidden = false;
          captcha.dataset.provider = challenge.provider;
          captcha.dataset.reason = challenge.reason ?? '';
          captchaMessage.textContent = challenge.message;
        },
      },
    );
    captcha.hidden = true;
    const body = await response.json().catch(() => null);
    if (response.ok) {
      show(`Signed in as ${body.email}.`, 'success');
      $('password').value = '';
    } else {
      show(body?.message ?? `The server answered ${response.status}.`, 'error');
    }
  } catch (error) {
    // CaptchaScriptError (the widget script was blocked, e.g. by CSP) or CaptchaWidgetError.
    captcha.hidden = true;
    show(error instanceof Error ? error.message : String(error), 'error');
    status.dataset.error = error?.name ?? 'Error';
  } finally {
    submit.disabled = false;
  }
});
