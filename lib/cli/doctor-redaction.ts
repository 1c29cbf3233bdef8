import { urlSecretParts } from '../config/mask-url-secrets';
import type { DoctorEnvironment } from './doctor-check';

/**
 * Values that must never be printed: the secret, the HMAC key, the Redis URL and the secret parts of URLs.
 *
 * @internal
 */
export function secretsOf(env: DoctorEnvironment): string[] {
  const values = [env.CAPTCHA_SECRET_KEY, env.CAPTCHA_ALTCHA_HMAC_KEY, env.CAPTCHA_REDIS_URL]
    .map((value) => value?.trim())
    .filter((value): value is string => value !== undefined && value !== '');
  // A URL's password, lone user name, query values (`?api_key=`) and fragment, raw and decoded.
  for (const url of [env.CAPTCHA_REDIS_URL, env.CAPTCHA_VERIFY_URL]) {
    if (url) values.push(...urlSecretParts(url.trim()));
  }
  // Longest first, so a secret containing another is hidden whole.
  return [...new Set(values)]
    .filter((value) => value.length >= 4)
    .sort((a, b) => b.length - a.length);
}

/**
 * `message` with every one of `secrets` replaced by `<hidden>`.
 *
 * @internal
 */
export function redact(message: string, secrets: readonly string[]): string {
  let result = message;
  for (const secret of secrets) result = result.split(secret).join('<hidden>');
  return result;
}
