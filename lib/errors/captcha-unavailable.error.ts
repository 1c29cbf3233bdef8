import type { CaptchaProviderName } from '../providers/captcha-provider-name';
import type { ProviderEndpoint } from '../providers/captcha-provider.interface';

/**
 * How a provider failed to answer: no answer in time, a network error, a 5xx, a 429 rate limit
 * (`http_4xx`; any other 4xx is `misconfigured` or a verdict on the token), an unreadable answer,
 * its circuit is open (not called at all), it rejected our own secret/site key or request
 * (`misconfigured`), or it answered that it could not verify this one token (`degraded`: a
 * CaptchaLa `dg_` or `client_` token that the route's policy does not accept).
 *
 * `misconfigured` and `degraded` never count against a circuit: a client can provoke both.
 */
export type CaptchaUnavailableKind =
  | 'timeout'
  | 'network'
  | 'http_5xx'
  | 'http_4xx'
  | 'bad_response'
  | 'circuit_open'
  | 'misconfigured'
  | 'degraded';

/**
 * Thrown by {@link CaptchaVerifier.verify} when the provider cannot judge the token: it timed out,
 * the network failed, it answered 5xx or nonsense, or it rejected our own secret/site key
 * (`kind: 'misconfigured'`, an operator error). Never thrown for a bad token.
 *
 * The message names the provider and the cause; it never contains a token or a secret.
 */
export class CaptchaUnavailableError extends Error {
  override readonly name = 'CaptchaUnavailableError';
  /**
   * Which of the provider's endpoints failed: `'primary'` (its verify URL), or `'backup'`
   * (CaptchaLa's backup URL, chosen by an `offline_` token). Set by the circuit breakers.
   */
  endpoint: ProviderEndpoint = 'primary';

  constructor(
    readonly provider: CaptchaProviderName,
    readonly kind: CaptchaUnavailableKind,
    message: string,
    readonly details: { status?: number; errorCodes?: string[]; latencyMs?: number } = {},
  ) {
    super(message);
  }

  /** The reason code this outage maps to. */
  get reason(): 'misconfigured' | 'provider_unavailable' {
    return this.kind === 'misconfigured' ? 'misconfigured' : 'provider_unavailable';
  }
}
