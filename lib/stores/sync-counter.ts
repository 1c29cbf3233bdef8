import type { CaptchaStore } from './captcha-store.interface';

/**
 * Counter writes that need no I/O, offered by stores that can answer at once (the memory store).
 * Internal: `failedAttempts` counts every attempt when it is evaluated and refunds it when the
 * outcome is not a failure; with these a calm request on the memory store does both without a
 * promise. Other stores go through {@link CaptchaStore.increment} and `decrement` as usual.
 * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#synchronous-memory-store
 *
 * @internal
 */
export const INCREMENT_NOW = Symbol('nestjs-captcha:increment-now');
/**
 * See {@link INCREMENT_NOW}.
 *
 * @internal
 */
export const DECREMENT_NOW = Symbol('nestjs-captcha:decrement-now');

/**
 * A store with synchronous counter writes.
 *
 * @internal
 */
export interface SyncCounterStore {
  /** {@link CaptchaStore.increment}, answered at once. */
  [INCREMENT_NOW](key: string, windowMs: number): number;
  /** {@link CaptchaStore.decrement}, answered at once. */
  [DECREMENT_NOW](key: string): number;
}

/**
 * The counter incremented synchronously, or `undefined` when the store cannot do that.
 *
 * @internal
 */
export function incrementNow(
  store: CaptchaStore,
  key: string,
  windowMs: number,
): number | undefined {
  const increment = (store as Partial<SyncCounterStore>)[INCREMENT_NOW];
  return increment === undefined ? undefined : increment.call(store, key, windowMs);
}

/**
 * The counter decremented synchronously, or `undefined` when the store cannot do that.
 *
 * @internal
 */
export function decrementNow(store: CaptchaStore, key: string): number | undefined {
  const decrement = (store as Partial<SyncCounterStore>)[DECREMENT_NOW];
  return decrement === undefined ? undefined : decrement.call(store, key);
}
