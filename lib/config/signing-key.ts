import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import { hmacKeyWeakness } from './hmac-key-strength';

/** How start-up warnings name a signing key. @internal */
export interface SigningKeyName {
  /** `ALTCHA HMAC key`, `clearance key`. */
  what: string;
  /** Where it is set: `CAPTCHA_ALTCHA_HMAC_KEY / altcha.hmacKey`. */
  where: string;
  /** What it signs, which a random key cannot carry across restarts and instances. */
  signs: string;
}

/** One random key per kind of key and process (ALTCHA challenges and clearances never share one). */
const processKeys = new Map<string, string>();

/**
 * A signing key (checked before: production refused a missing or weak one) with its start-up
 * warnings when `warn`: a weak key is named as such, never quoted; without one, a random key for
 * this process is used and the warning says what that costs. A key given as something else than a
 * string (a function resolving one) is passed on as it is.
 *
 * @internal
 */
export function signingKeyOrProcessKey<K>(
  key: K | undefined,
  name: SigningKeyName,
  logger: Pick<Logger, 'warn'>,
  warn = true,
): K | string {
  if (key === undefined) {
    if (warn) {
      logger.warn(
        `no ${name.what} set (${name.where}); using a random key for this process: ` +
          `${name.signs} will not survive restarts or work across instances`,
      );
    }
    let processKey = processKeys.get(name.what);
    if (processKey === undefined) {
      processKey = randomBytes(32).toString('hex');
      processKeys.set(name.what, processKey);
    }
    return processKey;
  }
  const weakness = typeof key === 'string' ? hmacKeyWeakness(key) : undefined;
  if (weakness !== undefined && warn) {
    logger.warn(
      `the ${name.what} (${name.where}) is weak (${weakness}): it will be refused in production; ` +
        'use e.g. `openssl rand -hex 32`',
    );
  }
  return key;
}
