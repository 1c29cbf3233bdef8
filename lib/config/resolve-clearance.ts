import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { ResolvedCaptchaClearance } from '../clearance/clearance-outcome';
import type { CaptchaClearanceOptions } from './captcha-module-options.interface';
import { DEFAULT_CLEARANCE_USES } from './clearance-value-rules';
import { hmacKeyWeakness } from './hmac-key-strength';

const MISSING_KEY_WARNING =
  'no clearance key set (CAPTCHA_CLEARANCE_KEY / clearance.key); using a random key for this ' +
  'process: clearances will not survive restarts or work across instances';

let processKey: string | undefined;

/**
 * `clearance` (checked before) with its defaults: 5 uses, and outside production a random key
 * per process when none is set (warned about once per module). A weak key is warned about here;
 * production refused it already.
 * @internal
 */
export function resolveClearance(
  clearance: CaptchaClearanceOptions | undefined,
  logger: Pick<Logger, 'warn'>,
): ResolvedCaptchaClearance | undefined {
  if (clearance === undefined) return undefined;
  let key = clearance.key;
  if (key === undefined) {
    logger.warn(MISSING_KEY_WARNING);
    key = processKey ??= randomBytes(32).toString('hex');
  } else {
    const weakness = hmacKeyWeakness(key);
    if (weakness !== undefined) {
      logger.warn(
        `the clearance key (CAPTCHA_CLEARANCE_KEY / clearance.key) is weak (${weakness}): ` +
          'it will be refused in production; use e.g. `openssl rand -hex 32`',
      );
    }
  }
  return {
    ttlSeconds: clearance.ttlSeconds,
    uses: clearance.uses ?? DEFAULT_CLEARANCE_USES,
    key,
    ...(clearance.actions !== undefined && { actions: [...clearance.actions] }),
  };
}
