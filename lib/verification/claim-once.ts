import { Logger } from '@nestjs/common';
import { CaptchaClaimRefusedError, CaptchaStoreError } from '../stores/captcha-store.error';
import type { CaptchaStore } from '../stores/captcha-store.interface';

const logger = new Logger('CaptchaClaims');

/**
 * Claims a single-use key under the store failure policy: resolves `false` for a replay. When the
 * store fails, `closed` rethrows (the guard answers 503) and `open` lets the token through
 * without replay protection, logged. A claim the store refused because its claim budget is full
 * ({@link CaptchaClaimRefusedError}) is rethrown under either policy: that is no outage but a
 * state anyone able to fill the budget can bring about, and letting tokens through then would
 * turn it into unlimited replays.
 *
 * @internal
 */
export function claimOnce(
  store: CaptchaStore,
  key: string,
  ttlMs: number,
  storeFailureMode: 'closed' | 'open',
): Promise<boolean> {
  // One promise layer (no `async`): the store's own promise, with the failure policy on its
  // rejection (`Promise.resolve` hands a native promise back as is). The refused-replay path.
  // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#promise-layers
  let claimed: Promise<boolean>;
  try {
    claimed = Promise.resolve(store.claim(key, ttlMs));
  } catch (error) {
    claimed = Promise.reject(error);
  }
  return claimed.catch((error: unknown) => {
    if (
      !(error instanceof CaptchaStoreError) ||
      error instanceof CaptchaClaimRefusedError ||
      storeFailureMode === 'closed'
    ) {
      throw error;
    }
    // Per request, so at debug: the outage log says that the store is down (error) and sums up.
    logger.debug({
      event: 'captcha.store_unavailable',
      during: 'claim',
      policy: 'open',
      cause: error.message,
    });
    return true;
  });
}

/**
 * Releases a claim; a store failure here only costs the token its retry, so it is logged.
 *
 * @internal
 */
export async function releaseQuietly(store: CaptchaStore, key: string): Promise<void> {
  try {
    await store.release(key);
  } catch (error) {
    logger.debug({
      event: 'captcha.store_unavailable',
      during: 'release',
      cause: (error as Error)?.message,
    });
  }
}
