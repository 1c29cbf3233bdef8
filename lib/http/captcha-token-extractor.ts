import {
  CAPTCHA_PROVIDER_NAMES,
  RECAPTCHA_V2_STEP_UP,
  type CaptchaProviderName,
  type CaptchaVerifierName,
} from '../contracts/captcha-provider-name';
import type { CaptchaTokenExtractor } from '../config/captcha-module-options.interface';

/**
 * Form fields the providers' widgets fill in, in the order they are looked at.
 *
 * @public
 */
export const WIDGET_TOKEN_FIELDS = [
  'cf-turnstile-response',
  'g-recaptcha-response',
  'h-captcha-response',
  'frc-captcha-response',
  // Friendly Captcha v1's widget (friendly-challenge).
  'frc-captcha-solution',
  'altcha',
] as const;

/**
 * The body fields the checkpoint reads and, once it let the request through, removes
 * (`stripTokenFields`): `captcha` (`{ token, provider }`), `captchaToken` and the widgets' own
 * fields. The app's DTO never has to declare them, so a strict
 * `ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })` accepts the request.
 *
 * @public
 */
export const CAPTCHA_BODY_FIELDS: readonly string[] = [
  'captcha',
  'captchaToken',
  ...WIDGET_TOKEN_FIELDS,
];

/**
 * Removes `fields` from the request's body when it is a plain object (parsed JSON or a form);
 * any other body (a string, a buffer, a stream, a class instance) is left alone. Never throws: a
 * field that cannot be deleted (a frozen body) stays.
 *
 * @public
 */
export function stripBodyFields(request: unknown, fields: readonly string[]): void {
  const body = (request as { body?: unknown } | undefined)?.body;
  if (typeof body !== 'object' || body === null) return;
  const prototype = Object.getPrototypeOf(body) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return;
  for (const field of fields) {
    if (Object.prototype.hasOwnProperty.call(body, field)) Reflect.deleteProperty(body, field);
  }
}

/**
 * The header clients without a body (or with a JSON API of their own) send the token in.
 *
 * @public
 */
export const TOKEN_HEADER = 'x-captcha-token';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The built-in token lookup, first match wins: body `captcha.token`, body `captchaToken`, the
 * widgets' own fields, header `x-captcha-token`. Returns whatever value is there (a non-string is
 * reported as `malformed` later), or `undefined` when there is none.
 *
 * @public
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

/**
 * GraphQL: the token in a resolver's arguments, `captcha.token` (a `{ token, provider }` input)
 * then `captchaToken`. `null` counts as absent, as for an optional argument the client left out,
 * so the request (header `x-captcha-token`) is looked at next. `undefined` when there is none.
 *
 * The guard's precedence for resolvers: these arguments first, then the request through
 * `tokenExtractor` (default {@link defaultTokenExtractor}). Controllers have no arguments.
 *
 * @public
 */
export function argumentToken(args: unknown): unknown {
  if (!isRecord(args)) return undefined;
  if (isRecord(args.captcha) && args.captcha.token != null) return args.captcha.token;
  return args.captchaToken ?? undefined;
}

/** Which provider a widget field belongs to. `g-recaptcha-response` is left out: Turnstile and hCaptcha fill it too. */
const FIELD_PROVIDERS: Record<string, CaptchaProviderName> = {
  'cf-turnstile-response': 'turnstile',
  'h-captcha-response': 'hcaptcha',
  'frc-captcha-response': 'friendly-captcha',
  'frc-captcha-solution': 'friendly-captcha',
  altcha: 'altcha',
};

/**
 * The provider a request says its token is from: GraphQL argument `captcha.provider` (resolvers
 * only: pass their `args`), body `captcha.provider` (as in
 * `{"captcha": {"provider": "altcha", "token": "…"}}`), header `x-captcha-provider`, or the widget
 * field the token came in. `undefined` when it does not say; the route decides what it accepts.
 * `recaptcha-v2` names the v2 checkbox step-up's verifier (`details.answer_as`).
 *
 * @public
 */
export function statedTokenProvider(
  request: unknown,
  args?: unknown,
): CaptchaVerifierName | undefined {
  const { body, headers } = (request ?? {}) as {
    body?: unknown;
    headers?: Record<string, unknown>;
  };
  const isName = (value: unknown): value is CaptchaVerifierName =>
    typeof value === 'string' &&
    ((CAPTCHA_PROVIDER_NAMES as readonly string[]).includes(value) ||
      value === RECAPTCHA_V2_STEP_UP);
  if (isRecord(args) && isRecord(args.captcha) && args.captcha.provider != null) {
    return isName(args.captcha.provider) ? args.captcha.provider : undefined;
  }
  if (isRecord(body) && isRecord(body.captcha) && 'provider' in body.captcha) {
    return isName(body.captcha.provider) ? body.captcha.provider : undefined;
  }
  if (isName(headers?.['x-captcha-provider']))
    return headers['x-captcha-provider'] as CaptchaVerifierName;
  if (isRecord(body)) {
    const field = Object.keys(FIELD_PROVIDERS).find((name) => name in body);
    if (field) return FIELD_PROVIDERS[field];
  }
  return undefined;
}
