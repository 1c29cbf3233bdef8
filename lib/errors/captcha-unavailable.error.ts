import type { CaptchaProviderName } from '../providers/captcha-provider-name';

/**
 * How a provider failed to answer: no answer in time, a network error, a 5xx, a 429
 * (`http_4xx`), an unreadable answer, its circuit is open (not called at all), or it rejected our
 * own secret/site key.
 */
export type CaptchaUnavailableKind =
  | 'timeout'
  | 'network'
  | 'http_5xx'
  | 'http_4xx'
  | 'bad_response'
  | 'circuit_open'
  | 'misconfigured';

/**
 * Thrown by {@link CaptchaVerifier.verify} when the provider cannot judge the token: it timed out,
 * the network failed, it answered 5xx or nonsense, or it rejected our own secret/site key
 * (`kind: 'misconfigured'`, an operator error). Never thrown for a bad token.
 *
 * The message names the provider and the cause; it never contains a token or a secret.
 */
export class CaptchaUnavailableError extends Error {
  override readonly name = 'CaptchaUnavailableError';

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
