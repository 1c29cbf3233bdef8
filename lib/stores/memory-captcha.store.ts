import { LRUCache } from 'lru-cache';
import { CaptchaClaimRefusedError } from './captcha-store.error';
import type { CaptchaStore } from './captcha-store.interface';
import { ClaimBook } from './claim-book';
import { PEEK_COUNT, type PeekableStore } from './peek-count';
import { DECREMENT_NOW, INCREMENT_NOW, type SyncCounterStore } from './sync-counter';

/**
 * Options of {@link MemoryCaptchaStore}.
 *
 * @public
 */
export interface MemoryCaptchaStoreOptions {
  /**
   * Most counters kept at once; past it the least recently used are evicted. Default `100_000`.
   */
  maxEntries?: number;
  /**
   * Most single-use claims kept at once, in a budget of their own. A live claim is never
   * evicted: when the budget holds only live claims, `claim` rejects with
   * {@link CaptchaClaimRefusedError}. Default `100_000`.
   */
  maxClaims?: number;
  /**
   * Told of each live counter the size bound evicts (`'counter'`), for the
   * `captcha_store_evictions_total` metric. Expired counters pushed out are not reported.
   */
  onEviction?: (kind: 'counter') => void;
}

/**
 * One counter. `expiresAt` is on the monotonic clock (`performance.now()`), so a wall-clock jump
 * can neither extend nor cut a window.
 */
interface Entry {
  count: number;
  /** Reopened when a counter back at 0 counts again (see `DECREMENT_NOW`). */
  expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_CLAIMS = 100_000;

/**
 * The default {@link CaptchaStore}: process memory, bounded so a flood of distinct tokens or IPs
 * cannot grow it without limit. Counters and claims have separate budgets, so no amount of
 * other traffic can push out a claim: counters are an LRU of `maxEntries` (the least recently
 * used evicted past it); claims are kept until they expire, at most `maxClaims` of them, and a
 * claim that does not fit is refused ({@link CaptchaClaimRefusedError}), never made room for.
 *
 * Per-process only: several app instances need a shared store (see `RedisCaptchaStore`) to agree
 * on counters and to refuse a token replayed against another instance. Operations run
 * synchronously inside their promise, so they are atomic within the process.
 *
 * @example
 * ```ts
 * const store = new MemoryCaptchaStore({ maxEntries: 50_000, maxClaims: 20_000 });
 * await store.increment(hashStoreKey('fail', ip), 15 * 60_000); // 1
 * await store.claim(hashStoreKey('claim', provider, token), 300_000); // true, then false
 * ```
 *
 * @public
 */
export class MemoryCaptchaStore implements CaptchaStore, PeekableStore, SyncCounterStore {
  private readonly entries: LRUCache<string, Entry>;
  private readonly claims: ClaimBook;

  constructor(options: MemoryCaptchaStoreOptions = {}) {
    const max = positiveInteger(options.maxEntries ?? DEFAULT_MAX_ENTRIES, 'maxEntries');
    const maxClaims = positiveInteger(options.maxClaims ?? DEFAULT_MAX_CLAIMS, 'maxClaims');
    // Expiry is ours (`expiresAt`), not lru-cache's, which would only repeat it. Expired entries
    // are not swept by timers: they are dropped when read, and the size bound evicts them first
    // anyway (they stop being read, so they become the least recently used).
    // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#synchronous-memory-store
    const { onEviction } = options;
    this.entries = new LRUCache<string, Entry>({
      max,
      ...(onEviction && {
        dispose: (entry: Entry, _key: string, reason: LRUCache.DisposeReason) => {
          if (reason === 'evict' && entry.count > 0 && entry.expiresAt > performance.now()) {
            onEviction('counter');
          }
        },
      }),
    });
    this.claims = new ClaimBook(maxClaims);
  }

  /** Counters held now (including expired ones not yet evicted); never above `maxEntries`. */
  get size(): number {
    return this.entries.size;
  }

  /** Claims held now (including expired ones not yet dropped); never above `maxClaims`. */
  get claimCount(): number {
    return this.claims.size;
  }

  async increment(key: string, windowMs: number): Promise<number> {
    return this[INCREMENT_NOW](key, windowMs);
  }

  /** {@link increment} without the promise. */
  [INCREMENT_NOW](key: string, windowMs: number): number {
    const ttl = toTtl(windowMs, 'windowMs');
    // One clock read: this runs on every request of a `failedAttempts` route.
    // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#synchronous-memory-store
    const now = performance.now();
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { count: 1, expiresAt: now + ttl });
      return 1;
    }
    if (entry.expiresAt > now && entry.count > 0) {
      // Mutating in place keeps the window's original expiry: a fixed window, not a sliding one.
      entry.count += 1;
      return entry.count;
    }
    // Expired, or refunded back to 0 (as good as gone): the entry opens a fresh window in place.
    entry.count = 1;
    entry.expiresAt = now + ttl;
    return 1;
  }

  async decrement(key: string): Promise<number> {
    return this[DECREMENT_NOW](key);
  }

  /**
   * {@link decrement} without the promise. A counter back at 0 reads as absent and the next
   * increment opens a fresh window. It is deleted, so calm traffic (counted, then refunded) leaves
   * no trace, except when it is the cache's last entry, which lru-cache would pay dearly to
   * delete on every calm request of a lone subject.
   * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#synchronous-memory-store
   */
  [DECREMENT_NOW](key: string): number {
    // No clock read: a refund of an expired counter is harmless, every read checks expiry.
    // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#synchronous-memory-store
    const entry = this.entries.peek(key);
    if (entry === undefined || entry.count === 0) return 0;
    entry.count -= 1;
    if (entry.count === 0 && this.entries.size > 1) this.entries.delete(key);
    return entry.count;
  }

  async count(key: string): Promise<number> {
    return this[PEEK_COUNT](key);
  }

  /** {@link count} without the promise (the process's memory needs no I/O). */
  [PEEK_COUNT](key: string): number {
    return this.live(key)?.count ?? 0;
  }

  async reset(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const claimed = this.claims.claim(key, toTtl(ttlMs, 'ttlMs'), performance.now());
    if (claimed === 'full') {
      throw new CaptchaClaimRefusedError(
        `memory store refused the claim: ${this.claims.maxClaims} live claims (maxClaims)`,
      );
    }
    return claimed;
  }

  async release(key: string): Promise<void> {
    this.claims.release(key);
  }

  /** The entry if its window is still open; an expired one is dropped on the way. */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= performance.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** A window or TTL as a positive whole number of ms; rejects nonsense early and loudly. */
function toTtl(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${String(ms)}`);
  }
  return Math.ceil(ms);
}
