/** The public types of `nestjs-captcha/client`: a challenge, a renderer, the options. */
import type { CaptchaChallengeCode, CaptchaErrorBody } from '../contracts/captcha-error-body.js';
import type {
  CaptchaProviderName,
  CaptchaVerifierName,
} from '../contracts/captcha-provider-name.js';

/**
 * One challenge the API asked for: what {@link CaptchaFetchOptions.onChallenge} receives.
 * @public
 */
export interface CaptchaChallenge {
  code: CaptchaChallengeCode;
  provider: CaptchaProviderName;
  siteKey: string | null;
  action: string | null;
  /** ALTCHA: where the widget fetches its challenge, resolved against the request's URL. */
  challengeUrl: string | null;
  /**
   * `captcha_invalid`: why the previous token failed; a step-up's `captcha_required`:
   * `score_too_low`; otherwise `null`.
   */
  reason: string | null;
  /** A step-up: the invisible check scored low, this interactive widget is asked once. */
  stepUp: boolean;
  /**
   * reCAPTCHA: `'checkbox'` when the answer asks for the v2 checkbox (the `recaptcha-v2`
   * step-up), else `null` (the page's `recaptchaMode`).
   */
  recaptchaMode: 'checkbox' | null;
  /**
   * The provider stated with the token (`captcha.provider`, `x-captcha-provider`): `provider`,
   * or `recaptcha-v2` for the v2 checkbox step-up (`details.answer_as`).
   */
  answerAs: CaptchaVerifierName;
  /** The API's localized, user-safe message. */
  message: string;
  /** The HTTP status of the answer (403). */
  status: number;
  /** Which token this challenge asks for, from 1 to `maxAttempts`. */
  attempt: number;
  /** The answer's body as received. */
  body: CaptchaErrorBody;
}

/**
 * What a custom renderer gets: where to render, for which challenge.
 * @public
 */
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

/**
 * Renders a widget into `context.element` and resolves with its token.
 * @public
 */
export type CaptchaRenderer = (context: CaptchaRenderContext) => Promise<string>;

/**
 * Options of `captchaFetch`.
 * @public
 */
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
