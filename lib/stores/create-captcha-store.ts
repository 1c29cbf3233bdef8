import type { OnModuleDestroy } from '@nestjs/common';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaStoreError } from './captcha-store.error';
import type { CaptchaStore } from './captcha-store.interface';
import { MemoryCaptchaStore } from './memory-captcha.store';
import { RedisCaptchaStore } from './redis-captcha.store';

/**
 * Builds the configured store behind a boundary that turns any failure of it, including a
 * custom store's own errors, into {@link CaptchaStoreError}, which the store failure policy
 * understands. Closes stores the module created when the module stops.
 */
export function createCaptchaStore(
  options: ResolvedCaptchaOptions,
): CaptchaStore & OnModuleDestroy {
  const { store } = options;
  if (store === 'redis')
    return new StoreErrorBoundary(new RedisCaptchaStore(options.redis ?? {}), true);
  if (store === 'memory')
    return new StoreErrorBoundary(
      new MemoryCaptchaStore({ maxEntries: options.memory?.maxEntries }),
      true,
    );
  return new StoreErrorBoundary(store, false);
}

class StoreErrorBoundary implements CaptchaStore, OnModuleDestroy {
  constructor(
    private readonly inner: CaptchaStore,
    private readonly owned: boolean,
  ) {}

  increment(key: string, windowMs: number): Promise<number> {
    return this.guard(() => this.inner.increment(key, windowMs));
  }

  count(key: string): Promise<number> {
    return this.guard(() => this.inner.count(key));
  }

  reset(key: string): Promise<void> {
    return this.guard(() => this.inner.reset(key));
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    return this.guard(() => this.inner.claim(key, ttlMs));
  }

  release(key: string): Promise<void> {
    return this.guard(() => this.inner.release(key));
  }

  async onModuleDestroy(): Promise<void> {
    if (this.owned) await (this.inner as Partial<{ close(): Promise<void> }>).close?.();
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof CaptchaStoreError) throw error;
      // A custom store's message may say anything; keep only its class for the logs.
      throw new CaptchaStoreError(`store unavailable: ${(error as Error)?.name ?? 'error'}`);
    }
  }
}
