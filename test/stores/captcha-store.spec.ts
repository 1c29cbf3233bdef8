import { type CaptchaStore, MemoryCaptchaStore, RedisCaptchaStore } from 'nestjs-captcha';
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { CaptchaRedisOptions } from '../../lib/config/captcha-module-options.interface';
import { clockPast, until } from '../support/eventually';
import { RedisCluster } from '../support/redis-cluster';
import { RedisServer } from '../support/redis-server';

/**
 * The behaviour every CaptchaStore promises, run against the memory store and against Redis:
 * through a URL (the store's own client), through a `Redis` client the app passes in, and through
 * a Cluster client on a real three-master Redis Cluster (keys spread over the masters' slots).
 */

let redis: RedisServer;
let sharedClient: Redis;
/**
 * Creating the cluster takes a few seconds: it starts in the background and only the Cluster
 * entry, which runs last, waits for it.
 */
let cluster: Promise<{ server?: RedisCluster; client?: Cluster; error?: unknown }>;

beforeAll(async () => {
  cluster = startCluster().then(
    (started) => started,
    (error: unknown) => ({ error }),
  );
  redis = await RedisServer.start();
  sharedClient = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  await new Promise((resolve) => sharedClient.once('ready', resolve));
});

afterAll(async () => {
  await sharedClient?.quit();
  await redis?.stop();
  const { server } = await cluster;
  await server?.stop();
});

async function startCluster(): Promise<{ server: RedisCluster; client: Cluster }> {
  const server = await RedisCluster.start({ masters: 3 });
  // ioredis cannot run a Cluster without its offline queue (its ready check needs it): exactly
  // the kind of client the store's own command timer is for.
  const client = await server.client();
  return { server, client };
}

interface StoreUnderTest {
  store: CaptchaStore;
  close(): Promise<void>;
}

// A generous command timeout here: this suite is about semantics, and a busy CI machine must not
// turn a slow scheduler into a failure. The 100 ms default is held to in redis-captcha-store.spec.
const COMMAND_TIMEOUT_MS = 2_000;

/**
 * The window and TTL of the expiry cases. Each waits for the clock to pass a point anchored to when
 * the window opened (or for the expiry itself); a step that must land inside the window has half
 * of it to spare, so a busy scheduler cannot turn the wait into a failure.
 */
const WINDOW_MS = 600;
/** Redis keeps expiries on its own millisecond clock; ours is sub-millisecond. */
const CLOCK_SLACK_MS = 5;

function redisStore(options: CaptchaRedisOptions): StoreUnderTest {
  const store = new RedisCaptchaStore({
    ...options,
    keyPrefix: `test:${randomUUID()}:`,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
  });
  return { store, close: () => store.close() };
}

const stores: [string, () => Promise<StoreUnderTest>][] = [
  [
    'MemoryCaptchaStore',
    async () => ({ store: new MemoryCaptchaStore(), close: async () => undefined }),
  ],
  ['RedisCaptchaStore (url)', async () => redisStore({ url: redis.url })],
  ['RedisCaptchaStore (Redis client)', async () => redisStore({ client: sharedClient })],
  [
    'RedisCaptchaStore (Cluster client)',
    async () => {
      const { client, error } = await cluster;
      if (!client) throw error;
      return redisStore({ client });
    },
  ],
];

describe.each(stores)('%s', (_name, create) => {
  let store: CaptchaStore;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ store, close } = await create());
  });

  afterEach(async () => {
    await close?.();
  });

  describe('counters', () => {
    it('counts up from 1 and reports the count; an unknown counter is 0', async () => {
      expect(await store.count('fail:a')).toBe(0);
      expect(await store.increment('fail:a', 60_000)).toBe(1);
      expect(await store.increment('fail:a', 60_000)).toBe(2);
      expect(await store.increment('fail:a', 60_000)).toBe(3);
      expect(await store.count('fail:a')).toBe(3);
    });

    it('keeps counters apart', async () => {
      await store.increment('fail:a', 60_000);
      await store.increment('fail:a', 60_000);
      expect(await store.increment('fail:b', 60_000)).toBe(1);
      expect(await store.count('fail:a')).toBe(2);
      expect(await store.count('fail:b')).toBe(1);
    });

    it('reset deletes the counter, and the next increment starts again at 1', async () => {
      await store.increment('fail:a', 60_000);
      await store.increment('fail:a', 60_000);
      await store.reset('fail:a');
      expect(await store.count('fail:a')).toBe(0);
      expect(await store.increment('fail:a', 60_000)).toBe(1);
    });

    it('reset of a counter that does not exist resolves', async () => {
      await expect(store.reset('fail:none')).resolves.toBeUndefined();
    });

    it('the counter disappears when its window closes', async () => {
      const opened = performance.now();
      await store.increment('fail:a', WINDOW_MS);
      await store.increment('fail:a', WINDOW_MS);
      expect(await store.count('fail:a')).toBe(2);
      await until(async () => (await store.count('fail:a')) === 0, 'the window closing');
      // Not before its time (the window can only have opened after `opened`).
      expect(performance.now() - opened).toBeGreaterThanOrEqual(WINDOW_MS - CLOCK_SLACK_MS);
      expect(await store.increment('fail:a', WINDOW_MS)).toBe(1);
    });

    it('is a fixed window: later increments do not extend it', async () => {
      await store.increment('fail:a', WINDOW_MS);
      const openedBy = performance.now(); // the window closes by openedBy + WINDOW_MS
      await clockPast(openedBy + WINDOW_MS / 2);
      expect(await store.increment('fail:a', WINDOW_MS)).toBe(2);
      // Past the window, while a window pushed back by the increment would still be open.
      await clockPast(openedBy + WINDOW_MS);
      expect(await store.count('fail:a')).toBe(0);
    });

    it('100 concurrent increments count 100, each seeing a distinct value', async () => {
      const counts = await Promise.all(
        Array.from({ length: 100 }, () => store.increment('rate:burst', 60_000)),
      );
      expect([...counts].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      expect(await store.count('rate:burst')).toBe(100);
    });

    it('decrement takes one back and returns the new count; at 0 the counter is gone', async () => {
      await store.increment('fail:a', 60_000);
      await store.increment('fail:a', 60_000);
      expect(await store.decrement('fail:a')).toBe(1);
      expect(await store.count('fail:a')).toBe(1);
      expect(await store.decrement('fail:a')).toBe(0);
      expect(await store.count('fail:a')).toBe(0);
      // Gone, not stuck at 0: the next increment opens a fresh window at 1.
      expect(await store.increment('fail:a', 60_000)).toBe(1);
    });

    it('decrement never goes below 0 and never creates a counter', async () => {
      expect(await store.decrement('fail:none')).toBe(0);
      expect(await store.decrement('fail:none')).toBe(0);
      expect(await store.count('fail:none')).toBe(0);
      expect(await store.increment('fail:none', 60_000)).toBe(1);
    });

    it('decrement keeps the window: the counter still closes when it would have', async () => {
      await store.increment('fail:a', WINDOW_MS);
      const openedBy = performance.now(); // the window closes by openedBy + WINDOW_MS
      await store.increment('fail:a', WINDOW_MS);
      await clockPast(openedBy + WINDOW_MS / 2);
      expect(await store.decrement('fail:a')).toBe(1);
      // Past the window, while a window restarted by the decrement would still be open.
      await clockPast(openedBy + WINDOW_MS);
      expect(await store.count('fail:a')).toBe(0);
      expect(await store.decrement('fail:a')).toBe(0);
    });

    it('100 concurrent increments and refunds of all but 3 leave exactly 3', async () => {
      const counts = await Promise.all(
        Array.from({ length: 100 }, () => store.increment('fail:race', 60_000)),
      );
      await Promise.all(
        counts.filter((count) => count > 3).map(() => store.decrement('fail:race')),
      );
      expect(await store.count('fail:race')).toBe(3);
    });

    it('rejects a window that is not a positive number of ms', async () => {
      await expect(store.increment('fail:a', 0)).rejects.toThrow(RangeError);
      await expect(store.increment('fail:a', Number.NaN)).rejects.toThrow(RangeError);
    });
  });

  describe('claims', () => {
    it('the first claim wins, a replay loses, another key is independent', async () => {
      expect(await store.claim('claim:t1', 60_000)).toBe(true);
      expect(await store.claim('claim:t1', 60_000)).toBe(false);
      expect(await store.claim('claim:t2', 60_000)).toBe(true);
    });

    it('release lets the key be claimed again', async () => {
      expect(await store.claim('claim:t1', 60_000)).toBe(true);
      await store.release('claim:t1');
      expect(await store.claim('claim:t1', 60_000)).toBe(true);
    });

    it('release of a key never claimed resolves', async () => {
      await expect(store.release('claim:none')).resolves.toBeUndefined();
    });

    it('a claim expires after its TTL', async () => {
      const claimed = performance.now();
      expect(await store.claim('claim:t1', WINDOW_MS)).toBe(true);
      expect(await store.claim('claim:t1', WINDOW_MS)).toBe(false);
      // A held claim refuses without changing it, so asking again is how to see it expire.
      await until(() => store.claim('claim:t1', WINDOW_MS), 'the claim expiring');
      expect(performance.now() - claimed).toBeGreaterThanOrEqual(WINDOW_MS - CLOCK_SLACK_MS);
    });

    it('100 simultaneous claims of one key: exactly one wins', async () => {
      const results = await Promise.all(
        Array.from({ length: 100 }, () => store.claim('claim:race', 60_000)),
      );
      expect(results.filter((won) => won)).toHaveLength(1);
    });

    it('rejects a TTL that is not a positive number of ms', async () => {
      await expect(store.claim('claim:t1', -5)).rejects.toThrow(RangeError);
    });
  });
});

describe('RedisCaptchaStore on a three-master Redis Cluster', () => {
  it('spreads counters and claims over every master, and each answers from its own node', async () => {
    const { server, client, error } = await cluster;
    if (!server || !client) throw error;
    const { store, close } = redisStore({ client });
    try {
      const before = await server.keysPerNode();
      const keys = Array.from({ length: 60 }, (_, i) => `spread:${i}`);
      await Promise.all(keys.map((key) => store.increment(`fail:${key}`, 60_000)));
      await Promise.all(keys.map((key) => store.claim(`claim:${key}`, 60_000)));
      const added = (await server.keysPerNode()).map((count, i) => count - before[i]);
      // 120 keys hashed over 16384 slots split three ways: each master holds its share.
      expect(added.reduce((sum, n) => sum + n, 0)).toBe(120);
      for (const count of added) expect(count).toBeGreaterThan(10);
      for (const key of keys) {
        expect(await store.count(`fail:${key}`)).toBe(1);
        expect(await store.claim(`claim:${key}`, 60_000)).toBe(false);
      }
    } finally {
      await close();
    }
  });
});
