/**
 * Shared state of the checkpoint: windowed counters (failed attempts, request rates) and
 * single-use token claims.
 *
 * Keys reach a store already hashed (see `hashStoreKey`): a store never sees a raw token, IP or
 * e-mail address. Every operation is atomic, so several app instances sharing one store agree.
 * A store signals trouble by rejecting; the module turns that into its store failure policy.
 *
 * The interface and its injection token share one name, so one import is both.
 *
 * @public
 */
export interface CaptchaStore {
  /**
   * Adds one to the counter `key` and returns the new count. The first increment opens a window of
   * `windowMs`; the counter disappears when it closes (a fixed window).
   */
  increment(key: string, windowMs: number): Promise<number>;
  /**
   * Takes one back from the counter `key` (a refund of an attempt counted with {@link increment})
   * and returns the new count. Never goes below 0 (a counter that reaches 0 is deleted), never
   * creates a counter and never changes its window.
   */
  decrement(key: string): Promise<number>;
  /** The counter's current value; `0` when it does not exist or its window has closed. */
  count(key: string): Promise<number>;
  /** Deletes the counter `key`. */
  reset(key: string): Promise<void>;
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
