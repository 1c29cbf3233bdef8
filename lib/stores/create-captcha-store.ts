import type { OnModuleDestroy } from '@nestjs/common';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { CaptchaMetrics } from '../observability/captcha-metrics';
import type { CaptchaStoreOperation } from '../observability/captcha-metrics-recorder';
import { CaptchaClaimRefusedError, CaptchaStoreError } from './captcha-store.error';
import type { CaptchaStore } from './captcha-store.interface';
import { MemoryCaptchaStore } from './memory-captcha.store';
import { PEEK_COUNT, type PeekableStore } from './peek-count';
import { RedisCaptchaStore } from './redis-captcha.store';
import { DECREMENT_NOW, INCREMENT_NOW, type SyncCounterStore } from './sync-counter';

/**
 * Builds the configured store behind a boundary that turns any failure of it, including a
 * custom store's own errors, into {@link CaptchaStoreError}, which the store failure policy
 * understands. Closes stores the module created when the module stops. Evictions of live
 * counters (memory store) and refused claims (any store) go to `captcha_store_evictions_total`,
 * other failures (Redis down, a custom store's error) to `captcha_store_failures_total`.
 *
 * @internal
 */
export function createCaptchaStore(
  options: ResolvedCaptchaOptions,
  metrics?: StoreMetrics,
): CaptchaStore & OnModuleDestroy {
  const { store } = options;
  if (store === 'redis')
    return new StoreErrorBoundary(new RedisCaptchaStore(options.redis ?? {}), true, metrics);
  if (store === 'memory')
    return new StoreErrorBoundary(
      new MemoryCaptchaStore({
        maxEntries: options.memory?.maxEntries,
        maxClaims: options.memory?.maxClaims,
        onEviction: metrics && ((kind) => metrics.storeEviction(kind)),
      }),
      true,
      metrics,
    );
  return new StoreErrorBoundary(store, false, metrics);
}

type StoreMetrics = Pick<CaptchaMetrics, 'storeEviction' | 'storeFailure'>;

class StoreErrorBoundary
  implements CaptchaStore, OnModuleDestroy, Partial<PeekableStore>, Partial<SyncCounterStore>
{
  [PEEK_COUNT]?: (key: string) => number;
  [INCREMENT_NOW]?: (key: string, windowMs: number) => number;
  [DECREMENT_NOW]?: (key: string) => number;

  constructor(
    private readonly inner: CaptchaStore,
    private readonly owned: boolean,
    private readonly metrics?: StoreMetrics,
  ) {
    const peek = (inner as Partial<PeekableStore>)[PEEK_COUNT];
    if (peek) {
      this[PEEK_COUNT] = (key) => {
        try {
          return peek.call(inner, key);
        } catch (error) {
          throw this.failure(error, 'count');
        }
      };
    }
    const { [INCREMENT_NOW]: increment, [DECREMENT_NOW]: decrement } =
      inner as Partial<SyncCounterStore>;
    if (increment && decrement) {
      this[INCREMENT_NOW] = (key, windowMs) => {
        try {
          return increment.call(inner, key, windowMs);
        } catch (error) {
          throw this.failure(error, 'increment');
        }
      };
      this[DECREMENT_NOW] = (key) => {
        try {
          return decrement.call(inner, key);
        } catch (error) {
          throw this.failure(error, 'decrement');
        }
      };
    }
  }

  increment(key: string, windowMs: number): Promise<number> {
    return this.guard('increment', () => this.inner.increment(key, windowMs));
  }

  decrement(key: string): Promise<number> {
    return this.guard('decrement', () => this.inner.decrement(key));
  }

  count(key: string): Promise<number> {
    return this.guard('count', () => this.inner.count(key));
  }

  reset(key: string): Promise<void> {
    return this.guard('reset', () => this.inner.reset(key));
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    return this.guard('claim', () => this.inner.claim(key, ttlMs));
  }

  release(key: string): Promise<void> {
    return this.guard('release', () => this.inner.release(key));
  }

  async onModuleDestroy(): Promise<void> {
    if (this.owned) await (this.inner as Partial<{ close(): Promise<void> }>).close?.();
  }

  /**
   * One promise per call (no extra `async` layer): this sits on every guarded request.
   * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#promise-layers
   */
  private guard<T>(name: CaptchaStoreOperation, operation: () => Promise<T>): Promise<T> {
    try {
      // Promise.resolve hands a native promise back as is, and copes with a custom store
      // answering a plain value.
      return Promise.resolve(operation()).catch((error: unknown) => {
        throw this.failure(error, name);
      });
    } catch (error) {
      return Promise.reject(this.failure(error, name));
    }
  }

  /**
   * The failure as a store error, counted on the way: a refused claim (only `claim` refuses) as
   * an eviction, anything else as a failure of `operation`.
   */
  private failure(error: unknown, operation: CaptchaStoreOperation): CaptchaStoreError {
    if (error instanceof CaptchaClaimRefusedError) this.metrics?.storeEviction('claim_refused');
    else this.metrics?.storeFailure(operation);
    return toStoreError(error);
  }
}

/** Any failure of a store as a {@link CaptchaStoreError}. */
function toStoreError(error: unknown): CaptchaStoreError {
  if (error instanceof CaptchaStoreError) return error;
  // A custom store's message may say anything; keep only its class for the logs.
  return new CaptchaStoreError(`store unavailable: ${(error as Error)?.name ?? 'error'}`);
}
