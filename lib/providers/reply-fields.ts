import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { ProviderHttpResponse } from './provider-http-client';

/** Defensive readers for fields of a provider's JSON reply: a missing or odd field never throws. */

/**
 * A JSON object (not an array, not `null`).
 *
 * @internal
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A finite number, or `undefined`.
 *
 * @internal
 */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * An ISO/RFC 3339 timestamp as a `Date`, or `undefined` when absent or unreadable.
 *
 * @internal
 */
export function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The host of an origin or URL, without scheme, port or IPv6 brackets:
 * `https://app.example.com:8443/login` → `app.example.com`. `undefined` when empty or unreadable.
 *
 * @internal
 */
export function hostOfUrl(url: unknown): string | undefined {
  if (typeof url !== 'string' || url === '') return undefined;
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A risk score (1.0 = bot) as ours (1.0 = human), within 0..1. Rounded to 12 decimals so the
 * subtraction's floating-point error cannot drop a score under an equal threshold
 * (`1 - 0.8` is `0.19999999999999996`).
 *
 * @internal
 */
export function invertRiskScore(riskScore: number): number {
  return Number(Math.min(1, Math.max(0, 1 - riskScore)).toFixed(12));
}

/**
 * A 4xx status (429 never gets this far: the HTTP client throws it as a rate limit).
 *
 * @internal
 */
export function isClientErrorStatus(status: number): boolean {
  return status >= 400 && status <= 499;
}

/**
 * The error for an answer without a readable verdict (`what` says what is missing); never a pass.
 * On a 2xx/3xx it is an outage (`bad_response`: the provider could not judge the token). On a 4xx
 * the provider refused our request in a way we do not recognise: `misconfigured` (a wrong URL, a
 * proxy, a request shape it rejects), answered 503 and logged loudly but never failed open nor
 * counted against the circuit, since a client's junk token may be what provoked it.
 *
 * @internal
 */
export function unreadableReply(
  provider: CaptchaVerifierName,
  response: ProviderHttpResponse,
  what: string,
): CaptchaUnavailableError {
  const refused = isClientErrorStatus(response.status);
  return new CaptchaUnavailableError(
    provider,
    refused ? 'misconfigured' : 'bad_response',
    `${provider} answered HTTP ${response.status} ${what}` +
      (refused ? ' — check the verify URL, any proxy on the way, and the keys' : ''),
    { status: response.status, latencyMs: response.latencyMs },
  );
}
