import { CaptchaStoreError, RedisCaptchaStore } from 'nestjs-captcha';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { eventually } from '../support/eventually';
import { RedisServer } from '../support/redis-server';

// A frozen Redis (SIGSTOP) keeps its connections: a command sent meanwhile times out for the
// caller, and Redis runs it when it resumes (SIGCONT). What the caller was told failed must leave
// no trace then: no claim that makes the token's retry a `duplicate`, no attempt counted.

let redis: RedisServer;
let raw: Redis;

beforeAll(async () => {
  redis = await RedisServer.start();
  raw = new Redis(redis.url);
  await new Promise((resolve) => raw.once('ready', resolve));
});

afterEach(() => redis.resume());

afterAll(async () => {
  await raw?.quit();
  await redis?.stop();
});

/** A store with the client it makes from the URL, and one with an ioredis client at its defaults (offline queue, retries). */
const stores: [string, () => { store: RedisCaptchaStore; done: () => Promise<void> }][] = [
  [
    'own client',
    () => {
      const store = new RedisCaptchaStore({ url: redis.url });
      return { store, done: () => store.close() };
    },
  ],
  [
    'client at ioredis defaults',
    () => {
      const client = new Redis(redis.url);
      const store = new RedisCaptchaStore({ client });
      return { store, done: () => client.quit().then(() => undefined) };
    },
  ],
];

/** Runs `operation` while Redis is frozen; it must reject as a timeout. */
async function whileFrozen(operation: () => Promise<unknown>): Promise<void> {
  redis.pause();
  try {
    const error = await operation().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(CaptchaStoreError);
    expect((error as Error).message).toMatch(/timed out/);
  } finally {
    redis.resume();
  }
}

describe.each(stores)(
  'RedisCaptchaStore with Redis frozen (SIGSTOP) and resumed (%s)',
  (_, make) => {
    let store: RedisCaptchaStore;
    let done: () => Promise<void>;
    beforeEach(async () => {
      ({ store, done } = make());
      await store.count('warm-up'); // connected before the freeze
    });
    afterEach(() => done());

    it('a claim that timed out does not survive: the same key is claimed once Redis is back', async () => {
      const key = `claim:${randomUUID()}`;
      await whileFrozen(() => store.claim(key, 60_000));
      // Redis ran the late SET, then its compare-and-delete: the retry is a first claim.
      expect(await eventually(() => store.claim(key, 60_000))).toBe(true);
      expect(await store.claim(key, 60_000)).toBe(false); // and single-use still holds
    });

    it('undoes only its own claim: a claim held by someone else is left alone', async () => {
      const key = `claim:${randomUUID()}`;
      await raw.set(`captcha:${key}`, 'theirs', 'PX', 60_000);
      await whileFrozen(() => store.claim(key, 60_000));
      expect(await eventually(() => store.claim(key, 60_000))).toBe(false);
      expect(await raw.get(`captcha:${key}`)).toBe('theirs');
    });

    it('an increment that timed out is not counted, on a new counter and on a running one', async () => {
      const fresh = `fail:${randomUUID()}`;
      await whileFrozen(() => store.increment(fresh, 60_000));
      expect(await eventually(() => store.count(fresh))).toBe(0);
      expect(await raw.exists(`captcha:${fresh}`)).toBe(0); // no key left behind, with or without TTL

      const running = `fail:${randomUUID()}`;
      await store.increment(running, 60_000);
      await store.increment(running, 60_000);
      const ttlBefore = await raw.pttl(`captcha:${running}`);
      await whileFrozen(() => store.increment(running, 60_000));
      expect(await eventually(() => store.count(running))).toBe(2);
      // Counted once per successful increment afterwards, in the same window.
      expect(await store.increment(running, 60_000)).toBe(3);
      const ttlAfter = await raw.pttl(`captcha:${running}`);
      expect(ttlAfter).toBeGreaterThan(0);
      expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
    });

    it('many timed-out claims and increments at once all leave no trace', async () => {
      const keys = Array.from({ length: 20 }, () => randomUUID());
      redis.pause();
      const settled = await Promise.allSettled(
        keys.flatMap((key) => [
          store.claim(`claim:${key}`, 60_000),
          store.increment(`fail:${key}`, 60_000),
        ]),
      );
      redis.resume();
      expect(settled.every((outcome) => outcome.status === 'rejected')).toBe(true);
      await eventually(() => store.count('after-thaw'));
      for (const key of keys) {
        expect(await store.claim(`claim:${key}`, 60_000)).toBe(true);
        expect(await store.count(`fail:${key}`)).toBe(0);
      }
    });

    it('a refund that timed out still applies when Redis is back (it only gives back)', async () => {
      const key = `fail:${randomUUID()}`;
      await store.increment(key, 60_000);
      await store.increment(key, 60_000);
      await whileFrozen(() => store.decrement(key));
      expect(await eventually(() => store.count(key))).toBe(1);
    });
  },
);
