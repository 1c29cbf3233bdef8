import { MIN_HMAC_KEY_LENGTH, hmacKeyWeakness } from '../config/hmac-key-strength';
import type { DoctorCheck } from './doctor-check';

/** The advice every weak or missing signing key gets. @internal */
export const KEY_ADVICE = 'use e.g. `openssl rand -hex 32`';

/**
 * The check of a signing key that is set in `variable`: `pass` when it is strong (32+ characters,
 * no placeholder or repeated pattern, `hmacKeyWeakness`), else weak: a warning, a failure in
 * production, with `consequence` said. The key is never quoted.
 *
 * @internal
 */
export function setSigningKeyCheck(
  name: string,
  variable: string,
  key: string,
  production: boolean,
  consequence: string,
): DoctorCheck {
  const weakness =
    key.length < MIN_HMAC_KEY_LENGTH
      ? `${key.length} characters, at least ${MIN_HMAC_KEY_LENGTH} needed`
      : hmacKeyWeakness(key);
  if (weakness !== undefined) {
    return {
      name,
      status: production ? 'fail' : 'warn',
      message: `${variable} is weak (${weakness}): ${consequence}; ${KEY_ADVICE}`,
    };
  }
  return {
    name,
    status: 'pass',
    message: `${variable} is set (${MIN_HMAC_KEY_LENGTH}+ characters, no placeholder or repeated pattern)`,
  };
}
