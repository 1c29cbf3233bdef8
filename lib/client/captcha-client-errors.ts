/** The two errors `captchaFetch` rejects with, and the advice their messages carry. */
import type { CaptchaProviderName } from '../contracts/captcha-provider-name.js';
import type { CaptchaChallenge } from './captcha-client-types.js';

/**
 * The widget script could not be loaded (blocked by the page's Content-Security-Policy, not
 * reachable, or not the script expected), or the page's policy blocked the widget's frames or
 * calls. The message says which and what to do: usually, merge `captchaCspDirectives(provider)`
 * from `nestjs-captcha` into the page's policy.
 * @public
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

/**
 * The widget failed, timed out, or its provider cannot be rendered here.
 * @public
 */
export class CaptchaWidgetError extends Error {
  override readonly name = 'CaptchaWidgetError';

  constructor(
    message: string,
    readonly challenge: CaptchaChallenge,
  ) {
    super(message);
  }
}

/**
 * What to do about a blocked widget: allow its sources in the page's policy.
 * @internal
 */
export const cspAdvice = (provider: CaptchaProviderName | null) =>
  `Allow the widget's sources in the page's policy: on the server, merge ` +
  `captchaCspDirectives(${provider ? `'${provider}'` : 'provider'}) from nestjs-captcha into it ` +
  `(mergeCspDirectives(yourDirectives, captchaCspDirectives(…))), or run ` +
  `\`npx nestjs-captcha doctor\` to print the sources.`;
