import type { Logger } from '@nestjs/common';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableException } from '../errors/captcha.exception';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import { CaptchaClaimRefusedError, type CaptchaStoreError } from '../stores/captcha-store.error';

/**
 * The store failed (`storeFailureMode`): logged, then 503 when the policy is `closed` (the
 * default), else the checkpoint goes on without the store's answer. A claim refused because the
 * claim budget is full is answered 503 under either policy: going on without the claim would
 * accept a replayed token. An outage's per-request line is written at debug: the outage log has
 * said (error) that the store is down, and sums up the failures while it lasts; a refused claim
 * (no outage) stays an error.
 *
 * @internal
 */
export function applyStoreFailurePolicy(
  error: CaptchaStoreError,
  during: 'condition' | 'claim' | 'clearance',
  mode: ResolvedCaptchaOptions['storeFailureMode'],
  provider: CaptchaVerifierName,
  logger: Logger,
): void {
  const refused = error instanceof CaptchaClaimRefusedError;
  logger[refused ? 'error' : 'debug']({
    event: refused ? 'captcha.claim_refused' : 'captcha.store_unavailable',
    during,
    cause: error.message,
  });
  if (refused || mode === 'closed') {
    throw new CaptchaUnavailableException({ provider, fallback: null });
  }
}
