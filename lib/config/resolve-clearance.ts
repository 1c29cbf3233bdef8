import type { Logger } from '@nestjs/common';
import type { ResolvedCaptchaClearance } from '../clearance/clearance-outcome';
import type { CaptchaClearanceOptions } from './captcha-module-options.interface';
import { DEFAULT_CLEARANCE_USES } from './clearance-value-rules';
import { signingKeyOrProcessKey } from './signing-key';

const CLEARANCE_KEY = {
  what: 'clearance key',
  where: 'CAPTCHA_CLEARANCE_KEY / clearance.key',
  signs: 'clearances',
};

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
  const key = signingKeyOrProcessKey(clearance.key, CLEARANCE_KEY, logger);
  return {
    ttlSeconds: clearance.ttlSeconds,
    uses: clearance.uses ?? DEFAULT_CLEARANCE_USES,
    key,
    ...(clearance.actions !== undefined && { actions: [...clearance.actions] }),
  };
}
