import { CaptchaClaimRefusedError, CaptchaStoreError, MemoryCaptchaStore } from 'nestjs-captcha';
import { ClaimBook } from '../../lib/stores/claim-book';
import { clockPast } from '../support/eventually';

describe('MemoryCaptchaStore', () => {
  it('filled far past its bound, holds exactly maxEntries counters; claims are kept apart', async () => {
    const store = new MemoryCaptchaStore({ maxEntries: 1_000 });
    for (let i = 0; i < 20_000; i++) {
      await store.claim(`claim:${i}`, 60_000);
      await store.increment(`fail:${i}`, 60_000);
    }
    expect(store.size).toBe(1_000);
    expect(store.claimCount).toBe(20_000);
  });

  it('bounds the default store at 100 000 counters and 100 000 claims', async () => {
    const store = new MemoryCaptchaStore();
    for (let i = 0; i < 150_000; i++) await store.increment(`fail:${i}`, 60_000);
    expect(store.size).toBe(100_000);
    for (let i = 0; i < 100_000; i++) await store.claim(`claim:${i}`, 60_000);
    await expect(store.claim('claim:one-more', 60_000)).rejects.toBeInstanceOf(
      CaptchaClaimRefusedError,
    );
    expect(store.claimCount).toBe(100_000);
  });

  it('evicts the least recently used counters first, and reports live ones evicted', async () => {
    const evicted: string[] = [];
    const store = new MemoryCaptchaStore({
      maxEntries: 2,
      onEviction: (kind) => evicted.push(kind),
    });
    await store.increment('fail:old', 60_000);
    await store.increment('fail:hot', 60_000);
    await store.increment('fail:hot', 60_000); // touched: now the most recently used
    await store.increment('fail:new', 60_000); // evicts fail:old
    expect(store.size).toBe(2);
    expect(await store.count('fail:hot')).toBe(2);
    expect(await store.count('fail:old')).toBe(0);
    expect(evicted).toEqual(['counter']);
  });

  it('does not report expired counters pushed out', async () => {
    const evicted: string[] = [];
    const store = new MemoryCaptchaStore({ maxEntries: 1, onEviction: (k) => evicted.push(k) });
    await store.increment('fail:a', 5);
    await clockPast(performance.now() + 5); // fail:a has expired
    await store.increment('fail:b', 60_000);
    expect(evicted).toEqual([]);
  });

  it('never evicts a live claim: counters and other claims cannot push it out', async () => {
    const store = new MemoryCaptchaStore({ maxEntries: 100, maxClaims: 10 });
    expect(await store.claim('claim:spent', 60_000)).toBe(true);
    for (let i = 0; i < 10_000; i++) await store.increment(`fail:${i}`, 60_000);
    for (let i = 0; i < 9; i++) expect(await store.claim(`claim:${i}`, 60_000)).toBe(true);
    const refused = await store.claim('claim:extra', 60_000).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CaptchaClaimRefusedError);
    expect(refused).toBeInstanceOf(CaptchaStoreError);
    expect((refused as CaptchaClaimRefusedError).code).toBe('ECLAIMSFULL');
    expect((refused as Error).message).toBe(
      'memory store refused the claim: 10 live claims (maxClaims)',
    );
    // A replay of a held claim is still answered as a replay, not as a refusal.
    expect(await store.claim('claim:spent', 60_000)).toBe(false);
  });

  it('makes room from expired claims when the budget is full', async () => {
    const store = new MemoryCaptchaStore({ maxClaims: 2 });
    expect(await store.claim('claim:short', 5)).toBe(true);
    const shortExpires = performance.now() + 5;
    expect(await store.claim('claim:long', 60_000)).toBe(true);
    await expect(store.claim('claim:c', 60_000)).rejects.toBeInstanceOf(CaptchaClaimRefusedError);
    await clockPast(shortExpires);
    expect(await store.claim('claim:c', 60_000)).toBe(true);
    expect(await store.claim('claim:long', 60_000)).toBe(false);
    expect(store.claimCount).toBe(2);
  });

  it('size shrinks on reset, claimCount on release', async () => {
    const store = new MemoryCaptchaStore();
    await store.increment('fail:a', 60_000);
    await store.claim('claim:a', 60_000);
    expect([store.size, store.claimCount]).toEqual([1, 1]);
    await store.reset('fail:a');
    await store.release('claim:a');
    expect([store.size, store.claimCount]).toEqual([0, 0]);
    expect(await store.claim('claim:a', 60_000)).toBe(true);
  });

  it('a refunded counter leaves no entry behind, except as the last one (kept at 0, reading 0)', async () => {
    // lru-cache 11 refills one slot per maxEntries when its last entry is deleted: a lone
    // client's calm request (counted, then refunded) would pay that on every request.
    const store = new MemoryCaptchaStore();
    await store.increment('fail:other', 60_000);
    await store.increment('fail:calm', 60_000);
    expect(await store.decrement('fail:calm')).toBe(0);
    expect(store.size).toBe(1);
    await store.reset('fail:other');
    await store.increment('fail:lone', 60_000);
    expect(await store.decrement('fail:lone')).toBe(0);
    expect(store.size).toBe(1);
    expect(await store.count('fail:lone')).toBe(0);
    expect(await store.decrement('fail:lone')).toBe(0);
    expect(await store.increment('fail:lone', 60_000)).toBe(1);
  });

  it('a counter kept at 0 opens a fresh window when it counts again', async () => {
    const store = new MemoryCaptchaStore();
    const windowMs = 600;
    await store.increment('fail:lone', windowMs);
    const firstClosesBy = performance.now() + windowMs;
    await store.decrement('fail:lone');
    await clockPast(firstClosesBy - windowMs / 2);
    expect(await store.increment('fail:lone', windowMs)).toBe(1);
    // Past the first window, inside the fresh one (opened half a window later).
    await clockPast(firstClosesBy);
    expect(await store.count('fail:lone')).toBe(1);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries and maxClaims %p', (value) => {
    expect(() => new MemoryCaptchaStore({ maxEntries: value })).toThrow(RangeError);
    expect(() => new MemoryCaptchaStore({ maxClaims: value })).toThrow(RangeError);
  });
});

describe('ClaimBook', () => {
  it('drops expired claims in expiry order, whatever the insertion order', () => {
    const book = new ClaimBook(3);
    expect(book.claim('a', 300, 0)).toBe(true); // expires at 300
    expect(book.claim('b', 100, 0)).toBe(true); // 100
    expect(book.claim('c', 200, 0)).toBe(true); // 200
    expect(book.claim('d', 1_000, 50)).toBe('full');
    expect(book.claim('d', 1_000, 150)).toBe(true); // b made room
    expect(book.claim('e', 1_000, 150)).toBe('full');
    expect(book.claim('b', 1_000, 150)).toBe('full'); // b expired: a fresh claim, no room
    expect(book.claim('e', 1_000, 250)).toBe(true); // c made room
    expect(book.claim('a', 1_000, 299)).toBe(false); // a still alive
    expect(book.size).toBe(3);
  });

  it('keeps its heap bounded through claim and release cycles', () => {
    const book = new ClaimBook(4);
    for (let i = 0; i < 2_000; i++) {
      expect(book.claim(`k${i}`, 1_000, i)).toBe(true);
      book.release(`k${i}`);
    }
    expect(book.size).toBe(0);
    expect((book as unknown as { heap: unknown[] }).heap.length).toBeLessThanOrEqual(8);
  });

  it('re-claims a key whose claim expired', () => {
    const book = new ClaimBook(1);
    expect(book.claim('k', 10, 0)).toBe(true);
    expect(book.claim('k', 10, 5)).toBe(false);
    expect(book.claim('k', 10, 10)).toBe(true);
    expect(book.claim('other', 10, 15)).toBe('full');
    expect(book.claim('other', 10, 20)).toBe(true);
  });
});
