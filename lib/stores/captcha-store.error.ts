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
 */
export class CaptchaStoreError extends Error {
  override readonly name = 'CaptchaStoreError';

  /** The client's error code when it had one (`ECONNREFUSED`, `ETIMEDOUT`, …). */
  readonly code?: string;

  constructor(message: string, code?: string) {
    super(message);
    if (code !== undefined) this.code = code;
  }
}
