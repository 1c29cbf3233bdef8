import type { CaptchaStore } from './captcha-store.interface';

/**
 * A counter read that needs no I/O, offered by stores that can answer at once (the memory store).
 * Internal: `failedAttempts` uses it so a calm request is decided without a promise; other stores
 * are read through {@link CaptchaStore.count} as usual.
 *
 * @internal
 */
export const PEEK_COUNT = Symbol('nestjs-captcha:peek-count');

/**
 * A store with a synchronous counter read.
 *
 * @internal
 */
export interface PeekableStore {
  /** The counter's current value, as {@link CaptchaStore.count} would resolve it. */
  [PEEK_COUNT](key: string): number;
}

/**
 * The counter's value read synchronously, or `undefined` when the store cannot do that.
 *
 * @internal
 */
export function peekCount(store: CaptchaStore, key: string): number | undefined {
  const peek = (store as Partial<PeekableStore>)[PEEK_COUNT];
  return peek === undefined ? undefined : peek.call(store, key);
}
