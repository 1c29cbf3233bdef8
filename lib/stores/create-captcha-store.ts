import type { OnModuleDestroy } from '@nestjs/common';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { CaptchaMetrics } from '../observability/captcha-metrics';
import type { CaptchaStoreOperation } from '../observability/captcha-metrics-recorder';
import type { CaptchaOutageLog } from '../observability/captcha-outage-log';
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
 * other failures (Redis down, a custom store's error) to `captcha_store_failures_total` and to the
 * outage log, which says when the store became unavailable and when it recovered.
 *
 * @internal
 */
export function createCaptchaStore(
  options: ResolvedCaptchaOptions,
  metrics?: StoreMetrics,
  outages?: Pick<CaptchaOutageLog, 'storeFailed' | 'storeAnswered'>,
): CaptchaStore & OnModuleDestroy {
  const { store } = options;
  if (store === 'redis')
    return new StoreErrorBoundary(
      new RedisCaptchaStore(options.redis ?? {}),
      true,
      metrics,
      outages,
    );
  if (store === 'memory')
    return new StoreErrorBoundary(
      new MemoryCaptchaStore({
        maxEntries: options.memory?.maxEntries,
        maxClaims: options.memory?.maxClaims,
        onEviction: metrics && ((kind) => metrics.storeEviction(kind)),
      }),
      true,
      metrics,
      outages,
    );
  return new StoreErrorBoundary(store, false, metrics, outages);
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
    private readonly outages?: Pick<CaptchaOutageLog, 'storeFailed' | 'storeAnswered'>,
  ) {
    const peek = (inner as Partial<PeekableStore>)[PEEK_COUNT];
    if (peek) {
      this[PEEK_COUNT] = (key) => {
        try {
          return peek.call(inner, key);
        } catch (error) {
          throw this.failure('count', error);
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
          throw this.failure('increment', error);
        }
      };
      this[DECREMENT_NOW] = (key) => {
        try {
          return decrement.call(inner, key);
        } catch (error) {
          throw this.failure('decrement', error);
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
   * Whether the outage log follows the store's answers: from a failure until the log has said the
   * store recovered and closed the outage (one interval later).
   */
  private down = false;

  /**
   * One promise per call (no extra `async` layer): this sits on every guarded request. Only
   * during an outage (and an interval after it) does a success take one more step, for the log.
   * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#promise-layers
   */
  private guard<T>(name: CaptchaStoreOperation, operation: () => Promise<T>): Promise<T> {
    try {
      // Promise.resolve hands a native promise back as is, and copes with a custom store
      // answering a plain value.
      const pending = Promise.resolve(operation());
      return (this.down ? pending.then(this.recovered) : pending).catch((error: unknown) => {
        throw this.failure(name, error);
      });
    } catch (error) {
      return Promise.reject(this.failure(name, error));
    }
  }

  private readonly recovered = <T>(value: T): T => {
    if (this.down && this.outages?.storeAnswered() !== false) this.down = false;
    return value;
  };

  /**
   * The failure as a store error; a refused claim (only `claim` refuses: a full budget, no
   * outage) is counted on the way, any other failure is counted
   * (`captcha_store_failures_total`) and goes to the outage log.
   */
  private failure(operation: CaptchaStoreOperation, error: unknown): CaptchaStoreError {
    if (error instanceof CaptchaClaimRefusedError) {
      this.metrics?.storeEviction('claim_refused');
      return error;
    }
    this.metrics?.storeFailure(operation);
    const failure = toStoreError(error);
    this.down = true;
    this.outages?.storeFailed(operation, {
      cause: failure.message,
      ...(failure.code !== undefined && { code: failure.code }),
    });
    return failure;
  }
}

/** Any failure of a store as a {@link CaptchaStoreError}. */
function toStoreError(error: unknown): CaptchaStoreError {
  if (error instanceof CaptchaStoreError) return error;
  // A custom store's message may say anything; keep only its class for the logs.
  return new CaptchaStoreError(`store unavailable: ${(error as Error)?.name ?? 'error'}`);
}
