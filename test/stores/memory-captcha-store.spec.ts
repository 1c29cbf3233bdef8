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

  it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries %p', (maxEntries) => {
    expect(() => new MemoryCaptchaStore({ maxEntries })).toThrow(RangeError);
  });
});
