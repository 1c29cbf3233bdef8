import type { CaptchaTokenExtractor } from '../config/captcha-module-options.interface';

/** Form fields the providers' widgets fill in, in the order they are looked at. */
export const WIDGET_TOKEN_FIELDS = [
  'cf-turnstile-response',
  'g-recaptcha-response',
  'h-captcha-response',
  'frc-captcha-response',
  'altcha',
] as const;

/** The header clients without a body (or with a JSON API of their own) send the token in. */
export const TOKEN_HEADER = 'x-captcha-token';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The built-in token lookup, first match wins: body `captcha.token`, body `captchaToken`, the
 * widgets' own fields, header `x-captcha-token`. Returns whatever value is there (a non-string is
 * reported as `malformed` later), or `undefined` when there is none.
 */
export const defaultTokenExtractor: CaptchaTokenExtractor = (request) => {
  const { body, headers } = (request ?? {}) as {
    body?: unknown;
    headers?: Record<string, unknown>;
  };
  if (isRecord(body)) {
    if (isRecord(body.captcha) && 'token' in body.captcha) return body.captcha.token;
    if ('captchaToken' in body) return body.captchaToken;
    for (const field of WIDGET_TOKEN_FIELDS) {
      if (field in body) return body[field];
    }
  }
  return headers?.[TOKEN_HEADER];
};
