import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { ProviderHttpResponse } from './provider-http-client';
import { unreadableReply } from './reply-fields';

/**
 * The fields the siteverify family (Turnstile, reCAPTCHA, hCaptcha) answers with, read defensively.
 *
 * @internal
 */
export interface SiteverifyReply {
  success: boolean;
  errorCodes: string[];
  hostname?: string;
  action?: string;
  score?: number;
  challengeTs?: Date;
  httpStatus: number;
}

/**
 * Reads a siteverify answer. Anything that is not a JSON object with a boolean `success` is an
 * unreadable answer, never a pass: an outage on a 2xx, `misconfigured` on a 4xx (the provider
 * refused our request in a way we do not recognise; not an outage, so a client's junk token that
 * provokes it cannot open the circuit). So is `success: true` on a status other than 2xx; a
 * failure's error codes are read on any status (the providers answer verdicts with HTTP 200).
 *
 * @internal
 */
export function readSiteverifyReply(
  provider: CaptchaVerifierName,
  response: ProviderHttpResponse,
): SiteverifyReply {
  const body = response.json;
  if (
    typeof body !== 'object' ||
    body === null ||
    typeof (body as { success?: unknown }).success !== 'boolean'
  ) {
    // An outage on 2xx; `misconfigured` on an unrecognised 4xx (never counted, never failed open).
    throw unreadableReply(provider, response, 'without a readable verdict');
  }
  const fields = body as Record<string, unknown>;
  // Verdicts come with HTTP 200; a pass on any other status (a proxy, a redirect page, a rate
  // limiter echoing a cached body) is not the provider's verdict, so it never counts as one.
  if (fields.success === true && (response.status < 200 || response.status > 299)) {
    throw unreadableReply(provider, response, 'with a success verdict; not trusted');
  }
  const codes = fields['error-codes'];
  const challengeTs =
    typeof fields.challenge_ts === 'string' ? new Date(fields.challenge_ts) : undefined;
  return {
    httpStatus: response.status,
    success: fields.success === true,
    errorCodes: Array.isArray(codes) ? codes.filter((c): c is string => typeof c === 'string') : [],
    hostname: typeof fields.hostname === 'string' ? fields.hostname : undefined,
    // `''` is kept: a token made without an action must mismatch an expected one, not skip the check.
    action: typeof fields.action === 'string' ? fields.action : undefined,
    score:
      typeof fields.score === 'number' && Number.isFinite(fields.score) ? fields.score : undefined,
    challengeTs: challengeTs && !Number.isNaN(challengeTs.getTime()) ? challengeTs : undefined,
  };
}
