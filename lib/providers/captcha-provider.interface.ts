import type { CaptchaReason } from '../contracts/captcha-reason';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';

/**
 * Which of a provider's endpoints a token is verified at: `'primary'` (the verify URL) or
 * `'backup'` (CaptchaLa's backup URL for `offline_` tokens). Each has its own circuit breaker,
 * since the token, chosen by the client, picks the endpoint.
 *
 * @public
 */
export type ProviderEndpoint = 'primary' | 'backup';

/**
 * What the verifier passes to a provider for one call.
 *
 * @public
 */
export interface ProviderVerifyRequest {
  remoteIp?: string;
  /** The action the caller expects; providers that take it on the wire (reCAPTCHA Enterprise) send it. */
  action?: string;
}

/**
 * A provider's answer, normalized but not yet judged: the verifier applies action, hostname,
 * score and age policy after it, in one place.
 *
 * @public
 */
export interface ProviderReply {
  /** The provider's own verdict on the token. */
  success: boolean;
  /** The provider's error codes mapped to our vocabulary (on failure). */
  reason?: CaptchaReason;
  errorCodes: string[];
  action?: string;
  hostname?: string;
  /** Normalized so that 1.0 means "very likely human". */
  score?: number;
  challengeTs?: Date;
  /** The provider's HTTP status (remote providers). */
  httpStatus?: number;
  /** The provider's risk reasons, as it names them (reCAPTCHA Enterprise `riskAnalysis.reasons`). */
  reasons?: string[];
  /**
   * The provider verdict was not a full verification and was accepted by an explicit option
   * (CaptchaLa degraded or client-only tokens). The verifier still judges the reply (action,
   * hostname, score, age) and lets it pass only where the caller allows degraded replies.
   */
  degraded?: boolean;
}

/**
 * One CAPTCHA provider behind the common interface. Implementations call the provider (or verify
 * locally) and translate its answer; they never apply policy.
 *
 * `verify` resolves with a reply for any token verdict and throws
 * {@link CaptchaUnavailableError} when the provider cannot answer or rejects our own credentials.
 *
 * @public
 */
export interface CaptchaProvider {
  readonly name: CaptchaVerifierName;
  /** Public key the client widget renders with (absent for ALTCHA). */
  readonly siteKey?: string;
  /** Longest token the provider accepts; longer tokens are `malformed` and never sent. */
  readonly maxTokenLength: number;
  /** How long a token stays redeemable; the single-use claim lives this long. */
  readonly tokenLifetimeSeconds: number;
  /**
   * Who refuses a replayed token: `'verifier'` claims a hash of the token before the call, so a
   * replay costs no provider call; `'provider'` means the provider claims what identifies a
   * solution itself (ALTCHA claims the challenge nonce, since one solution has many encodings).
   */
  readonly replayProtection: 'verifier' | 'provider';
  /**
   * Whether a token is one of the provider's public test tokens (the same string every time, e.g.
   * Turnstile's `XXXX.DUMMY.TOKEN.XXXX`). They skip our single-use claim so development with the
   * official test keys works past the first submit; production secrets reject them anyway.
   */
  isPublicTestToken?(token: string): boolean;
  /**
   * The endpoint `token` is verified at (its circuit); `'primary'` when absent. `'local'`: the
   * provider answers without a call (CaptchaLa `client_` tokens), so the answer says nothing of the
   * provider's health and bypasses the circuit: a client's token must not close it either.
   */
  endpointOf?(token: string): ProviderEndpoint | 'local';
  verify(token: string, request: ProviderVerifyRequest): Promise<ProviderReply>;
}
