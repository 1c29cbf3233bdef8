import { LRUCache } from 'lru-cache';
import type { CaptchaStore } from './captcha-store.interface';

/** Options of {@link MemoryCaptchaStore}. */
export interface MemoryCaptchaStoreOptions {
  /** Most entries kept at once; the oldest are evicted past it. Default `100_000`. */
  maxEntries?: number;
}

/**
 * The default {@link CaptchaStore}: process memory, bounded by an entry count so a flood of
 * distinct tokens cannot grow it without limit. Per-process only: several app instances need a
 * shared store to refuse a token replayed against another instance.
 */
export class MemoryCaptchaStore implements CaptchaStore {
  private readonly claims: LRUCache<string, true>;

  constructor(options: MemoryCaptchaStoreOptions = {}) {
    this.claims = new LRUCache<string, true>({
      max: options.maxEntries ?? 100_000,
      ttlAutopurge: false,
    });
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (this.claims.has(key)) return false;
    this.claims.set(key, true, { ttl: Math.max(1, Math.ceil(ttlMs)) });
    return true;
  }

  async release(key: string): Promise<void> {
    this.claims.delete(key);
  }
}
