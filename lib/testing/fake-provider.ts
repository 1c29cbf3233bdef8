import type { IncomingHttpHeaders } from 'node:http';
import type { ParsedFakeBody } from './fake-request-body';

/**
 * The providers {@link FakeCaptchaServer} imitates, in the order the fake-provider CLI lists them.
 *
 * @internal
 */
export const FAKE_PROVIDER_NAMES = [
  'turnstile',
  'recaptcha',
  'hcaptcha',
  'recaptcha-enterprise',
  'friendly-captcha',
  'captchala',
] as const;

/**
 * The providers {@link FakeCaptchaServer} imitates.
 *
 * @public
 */
export type FakeProviderName = (typeof FAKE_PROVIDER_NAMES)[number];

/**
 * The kinds of CaptchaLa token, by prefix: `pass` (`pt_`, the normal one), `offline` (`offline_`,
 * validated at the backup URL), `client` (`client_`, which no server can verify) and `degraded`
 * (`dg_`, answered with `data.degraded: true`).
 *
 * @public
 */
export type FakeCaptchalaTokenKind = 'pass' | 'offline' | 'client' | 'degraded';

/**
 * What a minted fake token carries; the provider echoes it back on verification.
 *
 * Fields that a provider does not return are accepted and ignored (for example `cdata` on a
 * reCAPTCHA token), so one options object can be reused across providers.
 *
 * @example
 * server.issueToken({ provider: 'recaptcha', action: 'login', score: 0.9 }); // a v3 token
 *
 * @public
 */
export interface IssueTokenOptions {
  provider: FakeProviderName;
  /** Echoed as `action` by Turnstile, reCAPTCHA v3, reCAPTCHA Enterprise and CaptchaLa (default `''`). */
  action?: string;
  /**
   * Echoed as `hostname` (default `'localhost'`); Friendly Captcha v2 answers it as the origin
   * `https://<hostname>` (`''` gives an empty origin), CaptchaLa as the referer `https://<hostname>/`.
   */
  hostname?: string;
  /**
   * The provider's raw score. reCAPTCHA: 0..1 where 1 means human; a token with a score is a v3
   * token, one without is a v2 token. hCaptcha: the Enterprise risk score (higher means bot),
   * returned with `score_reason`. reCAPTCHA Enterprise: `riskAnalysis.score`, 0..1 (default 0.9).
   * CaptchaLa: `risk_score`, 0..100 where higher is riskier (default 10). Ignored by Turnstile
   * and Friendly Captcha.
   */
  score?: number;
  /**
   * hCaptcha Enterprise `score_reason` returned with `score`; reCAPTCHA Enterprise
   * `riskAnalysis.reasons` (default `[]`).
   */
  scoreReason?: string[];
  /** Turnstile `cdata` (default `''`). */
  cdata?: string;
  /** Overrides the provider's token lifetime (Turnstile 300 s, reCAPTCHA 120 s, hCaptcha 120 s). */
  ttlSeconds?: number;
  /**
   * hCaptcha, reCAPTCHA Enterprise, Friendly Captcha: the site key the token was solved for
   * (default the fake's production site key).
   */
  siteKey?: string;
  /**
   * reCAPTCHA Enterprise: answer this `invalidReason` with `valid: false` (e.g. `'BROWSER_ERROR'`)
   * instead of judging the token.
   */
  invalidReason?: string;
  /** Friendly Captcha: the API version the token is for, `1` (a v1 solution) or `2` (default). */
  version?: 1 | 2;
  /** CaptchaLa: which kind of token to mint (default `'pass'`). */
  captchalaKind?: FakeCaptchalaTokenKind;
}

/**
 * A token a fake provider minted, with what it echoes and whether it was redeemed.
 *
 * @internal
 */
export interface FakeIssuedToken {
  readonly issuedAtMs: number;
  readonly ttlSeconds: number;
  readonly hostname: string;
  readonly action: string;
  readonly cdata: string;
  readonly score?: number;
  readonly scoreReason: readonly string[];
  readonly siteKey?: string;
  redeemed: boolean;
}

/**
 * One verify call as a fake provider sees it: the decoded body and the fake clock's time.
 *
 * @internal
 */
export interface FakeVerifyRequest {
  readonly body: ParsedFakeBody;
  readonly nowMs: number;
  /** The path, without query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
}

/**
 * A fake provider's answer: an HTTP status and a JSON body.
 *
 * @internal
 */
export interface FakeVerdict {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * The behaviour of one imitated provider behind {@link FakeCaptchaServer}'s routing.
 *
 * @internal
 */
export interface FakeProvider {
  readonly name: FakeProviderName;
  /** The provider's real verify path, e.g. `/turnstile/v0/siteverify`. */
  readonly verifyPath: string;
  /** Further real paths it serves by name, e.g. `{ issue: '/v1/server/challenge/issue' }`. */
  readonly endpoints?: Readonly<Record<string, string>>;
  /** Whether it serves a path matched by pattern (reCAPTCHA Enterprise's `/v1/projects/…`). */
  servesPath?(path: string): boolean;
  /** The body of an injected fault with this status (default: the siteverify family's shape). */
  faultBody?(status: number): Readonly<Record<string, unknown>>;
  /** The answer to a method other than POST (default: 405 `{error: 'method_not_allowed'}`). */
  methodNotAllowed?(): FakeVerdict;
  /** Mints and remembers a token; returns the token string. */
  issueToken(options: IssueTokenOptions, nowMs: number): string;
  /** Judges one verify call (and consumes the token when the provider would). */
  verify(request: FakeVerifyRequest): FakeVerdict;
  /** Forgets every minted token and any replay cache. */
  reset(): void;
}

/**
 * A failure verdict in the reCAPTCHA family's shape: HTTP 200, `success: false` and one error code.
 *
 * @example
 * fakeFailure('invalid-input-secret'); // { status: 200, body: { success: false, 'error-codes': [...] } }
 *
 * @internal
 */
export function fakeFailure(code: string, extra: Record<string, unknown> = {}): FakeVerdict {
  return { status: 200, body: { success: false, 'error-codes': [code], ...extra } };
}
