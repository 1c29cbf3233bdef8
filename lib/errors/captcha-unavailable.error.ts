import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { ProviderEndpoint } from '../providers/captcha-provider.interface';

/**
 * How a provider failed to answer: no answer in time, a network error, a 5xx, a 429 rate limit
 * (`http_4xx`; any other 4xx is `misconfigured` or a verdict on the token), an unreadable answer,
 * its circuit is open (not called at all), it rejected our own secret/site key or request
 * (`misconfigured`), or it answered that it could not verify this one token (`degraded`: a
 * CaptchaLa `dg_` or `client_` token that the route's policy does not accept).
 *
 * `misconfigured` and `degraded` never count against a circuit: a client can provoke both.
 * @public
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
 * @public
 */
export class CaptchaUnavailableError extends Error {
  override readonly name = 'CaptchaUnavailableError';
  /**
   * Which of the provider's endpoints failed: `'primary'` (its verify URL), or `'backup'`
   * (CaptchaLa's backup URL, chosen by an `offline_` token). Set by the circuit breakers.
   */
  endpoint: ProviderEndpoint = 'primary';
  /**
   * Seconds until the provider is worth asking again (the answer's `Retry-After`): set by
   * {@link CaptchaVerifier.verify} from the provider's circuit; `undefined` on an error built
   * elsewhere (then 10 is answered).
   */
  retryAfterSeconds?: number;
  /**
   * The module's outage policy for a caller outside the guard (a service): the fallback method
   * (`fallback: { method }`), or the fallback provider while this one is down, that the client
   * should switch to; `null` when there is none, or the failure is one no fallback is accepted
   * for (`misconfigured`; a fallback provider for a `degraded` reply). Set by
   * {@link CaptchaVerifier.verify}; {@link CaptchaExceptionFilter} answers it in
   * `details.fallback`. `failureMode: 'open'` cannot apply to a service call: the service decides.
   */
  fallback?: string | null;

  constructor(
    readonly provider: CaptchaVerifierName,
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
