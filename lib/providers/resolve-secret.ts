import type { CaptchaSecret } from '../config/captcha-module-options.interface';

/**
 * Reads a secret that may be a rotating resolver.
 *
 * @internal
 */
export async function resolveSecret(secret: CaptchaSecret | undefined): Promise<string> {
  const value = typeof secret === 'function' ? await secret() : secret;
  return value ?? '';
}
