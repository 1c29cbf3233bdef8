import { MIN_HMAC_KEY_LENGTH } from '../config/hmac-key-strength';
import type { DoctorCheck, DoctorEnvironment } from './doctor-check';
import { KEY_ADVICE, setSigningKeyCheck } from './signing-key-check';

/**
 * The `clearance-key` check, only when clearance is on (`CAPTCHA_CLEARANCE_TTL` set):
 * `CAPTCHA_CLEARANCE_KEY`, which signs the clearance cookie, is set and strong — 32+ characters,
 * no placeholder or repeated pattern, the ALTCHA HMAC key's rules (`hmacKeyWeakness`). Missing or
 * weak fails in production and warns elsewhere: a guessable key forges clearances, which let
 * requests past the checkpoint. The key is never quoted. Read from the variables alone.
 *
 * @internal
 */
export function clearanceKeyCheck(
  env: DoctorEnvironment,
  production: boolean,
): DoctorCheck | undefined {
  if ((env.CAPTCHA_CLEARANCE_TTL ?? '').trim() === '') return undefined;
  const name = 'clearance-key';
  const key = (env.CAPTCHA_CLEARANCE_KEY ?? '').trim();
  if (key === '') {
    return {
      name,
      status: production ? 'fail' : 'warn',
      message:
        'CAPTCHA_CLEARANCE_TTL is set but CAPTCHA_CLEARANCE_KEY is not: the clearance cookie ' +
        `needs a signing key of ${MIN_HMAC_KEY_LENGTH}+ random characters (shared by every ` +
        `instance); ${KEY_ADVICE}`,
    };
  }
  const consequence = `anyone who guesses it can forge clearances${production ? '' : ', and it must not reach production'}`;
  return setSigningKeyCheck(name, 'CAPTCHA_CLEARANCE_KEY', key, production, consequence);
}
