import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { CaptchaReason } from '../contracts/captcha-reason';

/**
 * The normalized outcome of one verification, whatever the provider.
 *
 * @example
 * ```ts
 * const v = await verifier.verify(token, { action: 'comment' });
 * if (!v.success) console.log(v.reason); // 'duplicate', 'expired', …
 * ```
 *
 * @public
 */
export interface CaptchaVerification {
  /** True when the token passed every check (provider verdict, action, hostname, score, age). */
  success: boolean;
  /** The provider that judged the token. */
  provider: CaptchaVerifierName;
  /** Why it failed; absent on success. */
  reason?: CaptchaReason;
  /** The action the token was made for, as the provider reported it. */
  action?: string;
  /** The host the challenge was solved on, as the provider reported it. */
  hostname?: string;
  /**
   * The provider's score, normalized so that 1.0 means "very likely human" (hCaptcha's
   * risk score is inverted to fit). Absent for providers without a score.
   */
  score?: number;
  /** When the challenge was solved (or loaded, for reCAPTCHA). */
  challengeTs?: Date;
  /**
   * The provider's risk reasons as it names them, e.g. reCAPTCHA Enterprise's
   * `riskAnalysis.reasons` (`AUTOMATION`, `TOO_MUCH_TRAFFIC`, …). Absent for other providers.
   */
  reasons?: string[];
  /** The provider's raw error codes (never containing the token). */
  errorCodes: string[];
  /**
   * `true` when the provider could not answer and the route's policy let the request through
   * anyway (`failureMode: 'open'`); `success` is then `false` and `reason` `provider_unavailable`.
   * Also `true` for a CaptchaLa token the provider could not fully verify (`captchala.acceptDegraded`
   * or `captchala.acceptClientTokens`): with `success: true` when it passed every check and the
   * caller allowed degraded replies (`allowDegraded`; the guard: `failureMode: 'open'`), or with
   * `success: false` and the failed check's `reason` (e.g. `action_mismatch`).
   */
  degraded?: boolean;
  /** Time spent verifying, provider call included, in milliseconds. */
  latencyMs?: number;
  /** The provider's HTTP status, for remote providers. */
  httpStatus?: number;
}

/**
 * Per-call expectations for {@link CaptchaVerifier.verify}.
 *
 * @public
 */
export interface CaptchaVerifyOptions {
  /** The action this token must have been made for; compared when the provider reports one. */
  action?: string;
  /** The end user's IP, forwarded to providers that accept it. */
  remoteIp?: string;
  /** A host the token must have been solved on; adds to the module's `expectedHostnames`. */
  expectedHostname?: string;
  /** Minimum score for score-based providers; overrides the module and per-action settings. */
  minScore?: number;
  /**
   * The token answers an interactive challenge (a step-up): no score threshold applies to it.
   */
  interactive?: boolean;
  /** Verify with this registered provider (the fallback) instead of the primary one. */
  provider?: CaptchaVerifierName;
  /**
   * Accept a degraded reply (not a full verification: a CaptchaLa `dg_` or `client_` token the
   * module's `captchala` options accept) that passes every check, with `degraded: true`. Default
   * `false`: such a reply throws `CaptchaUnavailableError` of kind `degraded`, like an outage.
   * The guard sets it on routes whose `failureMode` is `'open'`.
   */
  allowDegraded?: boolean;
}
