/**
 * A {@link CaptchaStore} could not answer: Redis is down, slow or refused the command. The module
 * turns it into its store failure policy (`storeFailureMode`).
 *
 * The message is safe to log: it never holds a URL, a password or a key. The original client
 * error is deliberately not attached as `cause`, since client errors may carry connection details.
 *
 * @example
 * ```ts
 * try {
 *   await store.claim(key, 60_000);
 * } catch (error) {
 *   if (error instanceof CaptchaStoreError) return failClosed(); // 'redis store unavailable: …'
 *   throw error;
 * }
 * ```
 *
 * @public
 */
export class CaptchaStoreError extends Error {
  override readonly name: string = 'CaptchaStoreError';

  /** The client's error code when it had one (`ECONNREFUSED`, `ETIMEDOUT`, …). */
  readonly code?: string;

  constructor(message: string, code?: string) {
    super(message);
    if (code !== undefined) this.code = code;
  }
}

/**
 * The store refused a single-use claim because its claim budget is full of live claims (the
 * memory store's `maxClaims`, or Redis at `maxmemory` under `noeviction`). Forgetting a live
 * claim would let a spent token through again, so the claim is refused instead, and the request
 * answered 503 `captcha_unavailable`, whatever `storeFailureMode` says: accepting a token without
 * its claim would silently drop replay protection for anyone who can fill the budget.
 *
 * @public
 */
export class CaptchaClaimRefusedError extends CaptchaStoreError {
  override readonly name = 'CaptchaClaimRefusedError';

  constructor(message = 'store refused the claim: the claim budget is full') {
    super(message, 'ECLAIMSFULL');
  }
}
