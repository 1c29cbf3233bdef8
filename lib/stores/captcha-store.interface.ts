/**
 * Shared state of the checkpoint: single-use token claims. Keys passed in are already hashed by
 * the caller; a store never sees a raw token.
 *
 * The interface and its injection token share one name, so one import is both.
 */
export interface CaptchaStore {
  /**
   * Claims `key` for `ttlMs`. Resolves `true` for the first claim, `false` while an earlier claim
   * is alive (a replay).
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Releases a claim, so a token whose verification never happened can be retried. */
  release(key: string): Promise<void>;
}

/** Injection token of the active {@link CaptchaStore}. */
export const CaptchaStore = Symbol('CaptchaStore');
