import {
  type CaptchaStore,
  CaptchaClaimRefusedError,
  CaptchaStoreError,
  RedisCaptchaStore,
} from 'nestjs-captcha';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInThisContext } from 'node:vm';
import { Cluster, Redis } from 'ioredis';
import { CaptchaConfigError } from '../../lib/config/captcha-config.error';
import { eventually } from '../support/eventually';
import { RedisServer } from '../support/redis-server';

/** How long an operation may take to fail while Redis is down (the store's budget is 100 ms). */
const FAIL_FAST_MS = 300;

let redis: RedisServer;
let raw: Redis;

beforeAll(async () => {
  redis = await RedisServer.start();
  raw = new Redis(redis.url);
  await new Promise((resolve) => raw.once('ready', resolve));
});

afterAll(async () => {
  await raw?.quit();
  await redis?.stop();
});

/** Every store operation, for "each one fails fast" assertions. */
const operations: [string, (store: CaptchaStore) => Promise<unknown>][] = [
  ['increment', (store) => store.increment('fail:x', 60_000)],
  ['decrement', (store) => store.decrement('fail:x')],
  ['count', (store) => store.count('fail:x')],
  ['reset', (store) => store.reset('fail:x')],
  ['claim', (store) => store.claim('claim:x', 60_000)],
  ['release', (store) => store.release('claim:x')],
];

/** Asserts that the operation rejects with a CaptchaStoreError within FAIL_FAST_MS. */
async function expectFastFailure(operation: () => Promise<unknown>): Promise<CaptchaStoreError> {
  const started = performance.now();
  const error = await operation().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  const elapsed = performance.now() - started;
  expect(error).toBeInstanceOf(CaptchaStoreError);
  expect((error as Error).message).toMatch(/^redis store unavailable: \S/);
  expect(elapsed).toBeLessThan(FAIL_FAST_MS);
  return error as CaptchaStoreError;
}

async function clientCount(): Promise<number> {
  const list = (await raw.client('LIST')) as string;
  return list.trim().split('\n').length;
}

describe('RedisCaptchaStore', () => {
  describe('a full Redis (maxmemory, noeviction)', () => {
    afterEach(async () => {
      await raw.config('SET', 'maxmemory', '0');
      await raw.config('SET', 'maxmemory-policy', 'noeviction');
    });

    it('refuses claims with CaptchaClaimRefusedError; other writes fail as store errors', async () => {
      const store = new RedisCaptchaStore({ url: redis.url });
      expect(await store.claim(`claim:${randomUUID()}`, 60_000)).toBe(true);
      await raw.config('SET', 'maxmemory-policy', 'noeviction');
      await raw.config('SET', 'maxmemory', '1'); // anything is over the limit now

      const refused = await store.claim(`claim:${randomUUID()}`, 60_000).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CaptchaClaimRefusedError);
      expect(refused).toMatchObject({
        code: 'ECLAIMSFULL',
        message: 'redis store refused the claim: Redis is at maxmemory',
      });
      const counted = await store.increment(`fail:${randomUUID()}`, 60_000).catch((e) => e);
      expect(counted).toBeInstanceOf(CaptchaStoreError);
      expect(counted).not.toBeInstanceOf(CaptchaClaimRefusedError);
      await store.close();
    });
  });

  describe('keys in Redis', () => {
    it('prefixes keys with "captcha:" by default and gives a counter its window as TTL', async () => {
      const store = new RedisCaptchaStore({ url: redis.url });
      const key = `fail:${randomUUID()}`;
      try {
        await store.increment(key, 5_000);
        expect(await raw.keys(`captcha:${key}`)).toEqual([`captcha:${key}`]);
        expect(await raw.get(`captcha:${key}`)).toBe('1');
        const pttl = await raw.pttl(`captcha:${key}`);
        expect(pttl).toBeGreaterThan(4_000);
        expect(pttl).toBeLessThanOrEqual(5_000);
      } finally {
        await store.close();
      }
    });

    it('uses the configured key prefix, for counters and claims', async () => {
      const prefix = `app-${randomUUID()}:`;
      const store = new RedisCaptchaStore({ client: raw, keyPrefix: prefix });
      await store.increment('fail:a', 60_000);
      await store.claim('claim:t', 30_000);
      expect((await raw.keys(`${prefix}*`)).sort()).toEqual([
        `${prefix}claim:t`,
        `${prefix}fail:a`,
      ]);
      const pttl = await raw.pttl(`${prefix}claim:t`);
      expect(pttl).toBeGreaterThan(29_000);
      expect(pttl).toBeLessThanOrEqual(30_000);
    });

    it('keeps the window fixed: a later increment does not push the expiry back', async () => {
      const prefix = `w-${randomUUID()}:`;
      const store = new RedisCaptchaStore({ client: raw, keyPrefix: prefix });
      await store.increment('fail:a', 1_000);
      await sleep(150);
      await store.increment('fail:a', 1_000);
      expect(await raw.pttl(`${prefix}fail:a`)).toBeLessThanOrEqual(860);
    });

    it('gives a counter found without a TTL one, instead of counting forever', async () => {
      const prefix = `r-${randomUUID()}:`;
      await raw.set(`${prefix}fail:a`, '5');
      const store = new RedisCaptchaStore({ client: raw, keyPrefix: prefix });
      expect(await store.increment('fail:a', 10_000)).toBe(6);
      expect(await raw.pttl(`${prefix}fail:a`)).toBeGreaterThan(9_000);
    });

    it('a refund keeps the TTL, deletes the key at 0, never creates one, and leaves a non-number alone', async () => {
      const prefix = `d-${randomUUID()}:`;
      const store = new RedisCaptchaStore({ client: raw, keyPrefix: prefix });
      await store.increment('fail:a', 10_000);
      await store.increment('fail:a', 10_000);
      expect(await store.decrement('fail:a')).toBe(1);
      expect(await raw.pttl(`${prefix}fail:a`)).toBeGreaterThan(9_000);
      expect(await store.decrement('fail:a')).toBe(0);
      expect(await raw.exists(`${prefix}fail:a`)).toBe(0);
      expect(await store.decrement('fail:a')).toBe(0);
      expect(await raw.exists(`${prefix}fail:a`)).toBe(0);
      await raw.set(`${prefix}fail:b`, 'garbage');
      expect(await store.decrement('fail:b')).toBe(0);
      expect(await raw.get(`${prefix}fail:b`)).toBe('garbage');
    });

    it('counts a value that is not a number as 0', async () => {
      const prefix = `n-${randomUUID()}:`;
      await raw.set(`${prefix}fail:a`, 'garbage');
      const store = new RedisCaptchaStore({ client: raw, keyPrefix: prefix });
      expect(await store.count('fail:a')).toBe(0);
    });
  });

  describe('connections', () => {
    it('works with a client passed in, and never closes it', async () => {
      const client = new Redis(redis.url);
      try {
        const store = new RedisCaptchaStore({ client, keyPrefix: `c-${randomUUID()}:` });
        expect(await store.claim('claim:t', 60_000)).toBe(true);
        await store.close();
        await store.onModuleDestroy();
        expect(client.status).toBe('ready');
        expect(await client.ping()).toBe('PONG');
      } finally {
        await client.quit();
      }
    });

    it('closes the client it created from the URL (close and onModuleDestroy, idempotent)', async () => {
      const before = await clientCount();
      const store = new RedisCaptchaStore({ url: redis.url });
      expect(await store.increment(`fail:${randomUUID()}`, 1_000)).toBe(1);
      expect(await clientCount()).toBe(before + 1);

      await store.onModuleDestroy();
      await store.close();
      await eventually(async () => expect(await clientCount()).toBe(before), 1_000);
      const error = await expectFastFailure(() => store.count('fail:a'));
      expect(error.message).toMatch(/closed/i);
    });

    it('pipelines the commands of one event-loop turn on the client it creates, correctly', async () => {
      const store = new RedisCaptchaStore({ url: redis.url, keyPrefix: `p-${randomUUID()}:` });
      try {
        const client = (store as unknown as { client: Redis }).client;
        expect(client.options.enableAutoPipelining).toBe(true);
        // 50 claims and 50 increments at once: each claim wins once, the counter counts them all.
        const claims = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.claim(`claim:${i % 25}`, 60_000)),
        );
        expect(claims.filter(Boolean)).toHaveLength(25);
        const counts = await Promise.all(
          Array.from({ length: 50 }, () => store.increment('fail:p', 60_000)),
        );
        expect([...counts].sort((a, b) => a - b)).toEqual(
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
      } finally {
        await store.close();
      }
    });

    it('answers the first operations after construction, while the client is still connecting', async () => {
      const store = new RedisCaptchaStore({ url: redis.url, keyPrefix: `s-${randomUUID()}:` });
      try {
        const results = await Promise.all([
          store.claim('claim:t', 60_000),
          store.increment('fail:a', 60_000),
        ]);
        expect(results).toEqual([true, 1]);
      } finally {
        await store.close();
      }
    });

    it('refuses options without exactly one of url and client', () => {
      expect(() => new RedisCaptchaStore({})).toThrow(CaptchaConfigError);
      expect(() => new RedisCaptchaStore({ url: redis.url, client: raw })).toThrow(
        CaptchaConfigError,
      );
      expect(() => new RedisCaptchaStore({ client: raw, commandTimeoutMs: 0 })).toThrow(
        CaptchaConfigError,
      );
    });

    it('says how to install ioredis when it is missing', () => {
      jest.isolateModules(() => {
        jest.doMock('ioredis', () => {
          throw Object.assign(new Error("Cannot find module 'ioredis'"), {
            code: 'MODULE_NOT_FOUND',
          });
        });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const isolated = require('../../lib/stores/redis-captcha.store') as {
          RedisCaptchaStore: typeof RedisCaptchaStore;
        };
        expect(() => new isolated.RedisCaptchaStore({ url: redis.url })).toThrow(
          'CAPTCHA_STORE=redis needs the ioredis package: npm i ioredis',
        );
      });
      jest.dontMock('ioredis');
    });
  });

  describe('outages', () => {
    // Jest gives each test file a copy of `process` whose events never fire: the watcher must sit
    // on the real one (jest-circus would also fail the running test, but only implicitly).
    const realProcess = runInThisContext('process') as NodeJS.Process;
    const unhandled: unknown[] = [];
    const watch = (reason: unknown): void => {
      unhandled.push(reason);
    };

    beforeAll(() => {
      realProcess.on('unhandledRejection', watch);
    });

    afterAll(() => {
      realProcess.off('unhandledRejection', watch);
    });

    it('fails fast, without leaking the URL, when nothing listens at the URL', async () => {
      const server = await RedisServer.start();
      const url = `redis://user:s3cret-pass@127.0.0.1:${server.port}`;
      await server.stop(); // a port where Redis was, and is no more
      const store = new RedisCaptchaStore({ url });
      try {
        await sleep(50); // let the first connection attempt fail
        for (const [, operation] of operations) {
          const error = await expectFastFailure(() => operation(store));
          expect(error.message).not.toContain('s3cret-pass');
        }
      } finally {
        await store.close();
      }
      await sleep(50);
      expect(unhandled).toEqual([]);
    });

    it('fails fast with a Cluster client that queues commands while no node answers', async () => {
      const server = await RedisServer.start();
      await server.stop();
      const client = new Cluster([{ host: '127.0.0.1', port: server.port }]);
      client.on('error', () => undefined);
      const store = new RedisCaptchaStore({ client });
      try {
        for (const [, operation] of operations) {
          const error = await expectFastFailure(() => operation(store));
          expect(error.message).toMatch(/timed out after 100 ms/);
        }
      } finally {
        client.disconnect();
      }
      await sleep(100);
      expect(unhandled).toEqual([]);
    });

    it('while Redis is down every operation rejects within 300 ms, and all recover once it is back', async () => {
      const server = await RedisServer.start();
      // A store that owns its client, one given a fail-fast client, and one given a client with
      // ioredis defaults (offline queue on, 20 retries): the store's own timer must cut that short.
      const failFastClient = new Redis(server.url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 50,
      });
      const defaultClient = new Redis(server.url, { retryStrategy: () => 50 });
      const clientErrors: Error[] = [];
      for (const client of [failFastClient, defaultClient]) {
        client.on('error', (error: Error) => clientErrors.push(error));
      }
      await Promise.all(
        [failFastClient, defaultClient].map((c) => new Promise((r) => c.once('ready', r))),
      );
      const stores: [string, RedisCaptchaStore][] = [
        ['own client', new RedisCaptchaStore({ url: server.url })],
        ['fail-fast client', new RedisCaptchaStore({ client: failFastClient })],
        ['default client', new RedisCaptchaStore({ client: defaultClient })],
      ];

      try {
        for (const [, store] of stores) {
          expect(await store.claim(`claim:${randomUUID()}`, 60_000)).toBe(true);
        }

        await server.stop();
        for (let round = 0; round < 2; round++) {
          for (const [, store] of stores) {
            for (const [, operation] of operations) {
              await expectFastFailure(() => operation(store));
            }
          }
        }
        // Many at once fail fast too: nothing piles up behind the outage.
        const started = performance.now();
        const burst = await Promise.allSettled(
          stores.flatMap(([, store]) =>
            Array.from({ length: 50 }, (_, i) => store.increment(`fail:${i}`, 60_000)),
          ),
        );
        expect(performance.now() - started).toBeLessThan(FAIL_FAST_MS);
        expect(burst.every((r) => r.status === 'rejected')).toBe(true);

        await server.start();
        for (const [, store] of stores) {
          const key = `fail:${randomUUID()}`;
          await eventually(() => store.increment(key, 60_000), 5_000);
          expect(await store.count(key)).toBe(1);
          expect(await store.claim(`claim:${randomUUID()}`, 60_000)).toBe(true);
        }
      } finally {
        await Promise.all(stores.map(([, store]) => store.close()));
        failFastClient.disconnect();
        defaultClient.disconnect();
        await server.stop();
      }
      await sleep(100); // late rejections from the offline queue would surface here
      expect(unhandled).toEqual([]);
    });
  });
});
