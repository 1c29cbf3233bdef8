import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProvider } from '../providers/captcha-provider.interface';
import type { ProviderCircuitBreakers } from '../resilience/provider-circuit-breakers';
import { CaptchaStoreError } from '../stores/captcha-store.error';

// How the verifier shapes a provider's failure for callers outside the guard.

/**
 * Marks an outage with what a caller outside the guard answers: the circuit's `Retry-After`,
 * and the module's fallback under `failureMode: 'fallback'` (never for `misconfigured`, which a
 * client can provoke; a fallback provider only while this provider is down, as the guard does).
 *
 * @internal
 */
export function markOutage(
  error: CaptchaUnavailableError,
  options: ResolvedCaptchaOptions,
  breakers: ProviderCircuitBreakers,
): void {
  const { provider, endpoint, kind } = error;
  error.retryAfterSeconds = breakers.retryAfterSeconds(provider, endpoint);
  const fallback =
    options.failureMode === 'fallback' && kind !== 'misconfigured' ? options.fallback : undefined;
  if (fallback && 'method' in fallback) {
    error.fallback = fallback.method;
    return;
  }
  const providerDown =
    kind !== 'degraded' && (endpoint === 'primary' || breakers.isDegraded(provider));
  error.fallback =
    fallback && providerDown && fallback.provider !== provider ? fallback.provider : null;
}

/**
 * What a provider call's failure becomes: outages and store failures as they are, anything else
 * a `bad_response` outage of that provider (never its message, which may quote a reply).
 *
 * @internal
 */
export function asProviderOutage(provider: CaptchaProvider, error: unknown): unknown {
  if (error instanceof CaptchaUnavailableError || !(error instanceof Error)) return error;
  // Store failures keep their type for the store policy; anything else is a provider fault.
  if (error instanceof CaptchaStoreError) return error;
  return new CaptchaUnavailableError(
    provider.name,
    'bad_response',
    `${provider.name} verification failed unexpectedly`,
  );
}
