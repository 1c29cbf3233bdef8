/**
 * The single-use claims of the memory store, in a budget of their own: a live claim is never
 * evicted, whatever other traffic does. When the budget is full, expired claims are dropped;
 * if every claim is still alive, {@link ClaimBook.claim} answers `'full'` and the caller refuses.
 *
 * Claims sit in a `Map` (key → expiry) and in a min-heap of expiries, so dropping the expired
 * ones costs O(log n) each, and a full book refuses in O(1) until its earliest claim expires.
 * A released or re-claimed key leaves its old heap entry behind (skipped when it surfaces); the
 * heap is rebuilt from the map when it reaches twice the budget, so it stays bounded and the
 * rebuild costs O(1) per claim, amortized.
 *
 * Times are on the monotonic clock (`performance.now()`), like the counters'.
 *
 * @internal
 */
export class ClaimBook {
  private readonly expiries = new Map<string, number>();
  /** Min-heap on `at`; entries whose key now maps to another expiry (or none) are leftovers. */
  private heap: { at: number; key: string }[] = [];

  constructor(readonly maxClaims: number) {}

  /** Claims held now, expired ones not yet dropped included; never above `maxClaims`. */
  get size(): number {
    return this.expiries.size;
  }

  /**
   * `true` for a first claim, `false` while an earlier one is alive (a replay), `'full'` when
   * the budget holds only live claims (nothing is written).
   */
  claim(key: string, ttlMs: number, now: number): boolean | 'full' {
    const held = this.expiries.get(key);
    if (held !== undefined) {
      if (held > now) return false;
      this.expiries.delete(key);
    }
    if (this.expiries.size >= this.maxClaims) {
      this.dropExpired(now);
      if (this.expiries.size >= this.maxClaims) return 'full';
    }
    if (this.heap.length >= 2 * this.maxClaims) this.rebuild();
    const at = now + ttlMs;
    this.expiries.set(key, at);
    this.push({ at, key });
    return true;
  }

  release(key: string): void {
    this.expiries.delete(key);
  }

  /** Drops every claim that expired by `now`, oldest first. */
  private dropExpired(now: number): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0].at <= now) {
      const { at, key } = this.pop();
      if (this.expiries.get(key) === at) this.expiries.delete(key);
    }
  }

  private rebuild(): void {
    this.heap = [];
    for (const [key, at] of this.expiries) this.push({ at, key });
  }

  private push(entry: { at: number; key: string }): void {
    const heap = this.heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= entry.at) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): { at: number; key: string } {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right].at < heap[left].at ? right : left;
        if (heap[child].at >= last.at) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
