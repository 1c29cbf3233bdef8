import { MemoryCaptchaStore } from 'nestjs-captcha';

describe('MemoryCaptchaStore', () => {
  it('filled far past its bound, holds exactly maxEntries entries', async () => {
    const store = new MemoryCaptchaStore({ maxEntries: 1_000 });
    for (let i = 0; i < 20_000; i++) {
      await store.claim(`claim:${i}`, 60_000);
      await store.increment(`fail:${i}`, 60_000);
    }
    expect(store.size).toBe(1_000);
  });

  it('bounds the default store at 100 000 entries', async () => {
    const store = new MemoryCaptchaStore();
    for (let i = 0; i < 150_000; i++) await store.claim(`claim:${i}`, 60_000);
    expect(store.size).toBe(100_000);
  });

  it('evicts the least recently used entries first', async () => {
    const store = new MemoryCaptchaStore({ maxEntries: 2 });
    await store.claim('claim:old', 60_000);
    await store.increment('fail:hot', 60_000);
    await store.increment('fail:hot', 60_000); // touched: now the most recently used
    await store.claim('claim:new', 60_000); // evicts claim:old
    expect(store.size).toBe(2);
    expect(await store.count('fail:hot')).toBe(2);
    expect(await store.claim('claim:old', 60_000)).toBe(true);
  });

  it('size shrinks on reset and release', async () => {
    const store = new MemoryCaptchaStore();
    await store.increment('fail:a', 60_000);
    await store.claim('claim:a', 60_000);
    expect(store.size).toBe(2);
    await store.reset('fail:a');
    await store.release('claim:a');
    expect(store.size).toBe(0);
  });

  it('a refunded counter leaves no entry behind, except as the last one (kept at 0, reading 0)', async () => {
    const store = new MemoryCaptchaStore();
    await store.claim('claim:a', 60_000);
    await store.increment('fail:calm', 60_000);
    expect(await store.decrement('fail:calm')).toBe(0);
    expect(store.size).toBe(1);
    await store.release('claim:a');
    await store.increment('fail:lone', 60_000);
    expect(await store.decrement('fail:lone')).toBe(0);
    expect(store.size).toBe(1);
    expect(await store.count('fail:lone')).toBe(0);
    expect(await store.decrement('fail:lone')).toBe(0);
    expect(await store.increment('fail:lone', 60_000)).toBe(1);
  });

  it('a counter kept at 0 opens a fresh window when it counts again', async () => {
    const store = new MemoryCaptchaStore();
    await store.increment('fail:lone', 200);
    await store.decrement('fail:lone');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await store.increment('fail:lone', 200)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100)); // 250 ms after the first window
    expect(await store.count('fail:lone')).toBe(1);
  });

  it('counts and refunds a lone subject cheaply (lru-cache refills all its slots when its last entry is deleted)', async () => {
    const store = new MemoryCaptchaStore(); // 100 000 slots: ~180 µs per refill
    const started = performance.now();
    for (let i = 0; i < 5_000; i++) {
      await store.increment('fail:lone', 60_000);
      await store.decrement('fail:lone');
    }
    // Refilling on every refund took ~900 ms here; counting in place takes a few.
    expect(performance.now() - started).toBeLessThan(300);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries %p', (maxEntries) => {
    expect(() => new MemoryCaptchaStore({ maxEntries })).toThrow(RangeError);
  });
});
