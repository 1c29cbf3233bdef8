import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaReason } from '../contracts/captcha-reason';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';

/**
 * How one provider error code is read: a verdict on the token (a reason code), or a sign that our
 * own configuration is wrong (`'misconfigured'`, thrown as an outage), or a provider-side failure
 * (`'unavailable'`).
 *
 * @internal
 */
export type ErrorCodeMeaning = CaptchaReason | 'unavailable';

/** Precedence when a reply carries several codes: our own mistakes first, then the token's. */
const PRECEDENCE: ErrorCodeMeaning[] = [
  'misconfigured',
  'unavailable',
  'malformed',
  'expired',
  'duplicate',
  'invalid',
];

/**
 * Maps a failed reply's error codes to one reason. Throws {@link CaptchaUnavailableError} when
 * the codes say our secret/site key or request is wrong, or the provider failed internally; an
 * unknown code reads as `invalid` (fail closed).
 *
 * @internal
 */
export function reasonFromErrorCodes(
  provider: CaptchaVerifierName,
  codes: string[],
  meanings: Record<string, ErrorCodeMeaning>,
  hint?: string,
): CaptchaReason {
  const found = codes.map((code) => meanings[code] ?? 'invalid');
  const meaning = PRECEDENCE.find((m) => found.includes(m)) ?? found[0] ?? 'invalid';
  if (meaning === 'misconfigured') {
    const code = codes.find((c) => meanings[c] === 'misconfigured');
    throw new CaptchaUnavailableError(
      provider,
      'misconfigured',
      `secret, site key or request rejected by ${provider}: ${code}${hint ? ` — ${hint}` : ''}`,
      { errorCodes: codes },
    );
  }
  if (meaning === 'unavailable') {
    throw new CaptchaUnavailableError(
      provider,
      'http_5xx',
      `${provider} reported an internal error`,
      {
        errorCodes: codes,
      },
    );
  }
  return meaning as CaptchaReason;
}
