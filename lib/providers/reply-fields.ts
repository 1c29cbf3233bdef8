import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProviderName } from './captcha-provider-name';
import type { ProviderHttpResponse } from './provider-http-client';

/** Defensive readers for fields of a provider's JSON reply: a missing or odd field never throws. */

/** A JSON object (not an array, not `null`). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A finite number, or `undefined`. */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** An ISO/RFC 3339 timestamp as a `Date`, or `undefined` when absent or unreadable. */
export function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The host of an origin or URL, without scheme, port or IPv6 brackets:
 * `https://app.example.com:8443/login` → `app.example.com`. `undefined` when empty or unreadable.
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
 */
export function invertRiskScore(riskScore: number): number {
  return Number(Math.min(1, Math.max(0, 1 - riskScore)).toFixed(12));
}

/**
 * The outage of an answer without a readable verdict (`what` says what is missing): the provider
 * could not judge the token, so it is never a pass.
 */
export function unreadableReply(
  provider: CaptchaProviderName,
  response: ProviderHttpResponse,
  what: string,
): CaptchaUnavailableError {
  return new CaptchaUnavailableError(
    provider,
    'bad_response',
    `${provider} answered HTTP ${response.status} ${what}`,
    { status: response.status, latencyMs: response.latencyMs },
  );
}
