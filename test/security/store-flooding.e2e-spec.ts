import {
  Body,
  Controller,
  HttpCode,
  Post,
  UnauthorizedException,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import {
  CaptchaModule,
  RequireCaptcha,
  failedAttempts,
  type AltchaChallenge,
  type CaptchaModuleOptions,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp } from '../support/create-app';
import { RedisServer } from '../support/redis-server';
import { FAST_ALTCHA, solveAltcha } from '../support/solve-altcha';

/**
 * Attack: flood the shared store with cheap entries (garbage tokens, distinct subjects) so that
 * the single-use claim of a spent CAPTCHA solution, or someone's failure counter, is evicted;
 * then replay the spent solution, or keep guessing uncounted.
 */

@Controller()
class FloodedController {
  @Post('signup')
  @HttpCode(201)
  @RequireCaptcha({ action: 'signup' })
  signup() {
    return { created: true };
  }

  /** Failures counted per e-mail: every distinct address is a new counter in the store. */
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 3, window: '15m', per: 'body.email' }),
  })
  login(@Body() body: { password?: string }) {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }

  /** Failures counted per IP. */
  @Post('ip-login')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 3, window: '15m', per: 'ip', counter: 'ip-login' }),
  })
  ipLogin(@Body() body: { password?: string }) {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }
}

const SMALL_BUDGET = 100;
const GARBAGE_TOKENS = 2_000;
const DISTINCT_SUBJECTS = 1_000;

async function boot(
  adapter: (typeof ADAPTERS)[number],
  options: CaptchaModuleOptions,
): Promise<{ app: INestApplication; url: string; registry: Registry }> {
  const registry = new Registry();
  const moduleRef = await Test.createTestingModule({
    imports: [
      CaptchaModule.forRoot({
        metrics: 'prometheus',
        metricsRegistry: registry,
        logDecisions: false,
        ...options,
      }),
    ],
    controllers: [FloodedController],
  }).compile();
  const app = await startApp(moduleRef, adapter);
  return { app, url: await app.getUrl(), registry };
}

/** POSTs JSON over a kept-alive connection (thousands of requests: supertest's one socket each is slow). */
async function post(url: string, path: string, body: unknown): Promise<number> {
  const res = await fetch(`${url.replace('[::1]', '127.0.0.1')}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends `count` requests, `parallel` at a time; returns how many got each status. */
async function flood(
  count: number,
  send: (i: number) => Promise<number>,
  parallel = 25,
): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  for (let start = 0; start < count; start += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, count - start) }, (_, j) => send(start + j)),
    );
    for (const status of batch) statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return statuses;
}

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** A garbage ALTCHA payload: well-formed JSON of the right shape, never solved or signed by us. */
function garbagePayload(i: number): string {
  return base64({
    challenge: {
      parameters: {
        algorithm: 'SHA-256',
        nonce: `garbage-${i}`,
        salt: `salt-${i}`,
        cost: 1,
        keyLength: 32,
        keyPrefix: '00',
      },
      signature: 'ab'.repeat(32),
    },
    solution: { counter: i, derivedKey: 'cd'.repeat(32) },
  });
}

async function challenge(url: string, action: string): Promise<AltchaChallenge> {
  const res = await fetch(
    `${url.replace('[::1]', '127.0.0.1')}/captcha/challenge?action=${action}`,
  );
  expect(res.status).toBe(200);
  return (await res.json()) as AltchaChallenge;
}

async function metric(registry: Registry, kind: string): Promise<number> {
  const values = (await registry.getSingleMetric('captcha_store_evictions_total')?.get())?.values;
  return values?.find((v) => v.labels.kind === kind)?.value ?? 0;
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('store flooding (memory store, small budget)', () => {
    let app: INestApplication;
    let url: string;
    let registry: Registry;

    beforeAll(async () => {
      ({ app, url, registry } = await boot(adapter, {
        provider: 'altcha',
        altcha: FAST_ALTCHA,
        memory: { maxEntries: SMALL_BUDGET },
      }));
    });
    afterAll(() => app.close());

    it(`a spent ALTCHA payload stays spent after ${GARBAGE_TOKENS} garbage tokens and ${DISTINCT_SUBJECTS} distinct subjects`, async () => {
      const payload = await solveAltcha(await challenge(url, 'signup'));
      expect(await post(url, '/signup', { altcha: payload })).toBe(201);

      const garbage = await flood(GARBAGE_TOKENS, (i) =>
        post(url, '/signup', { altcha: i % 2 ? garbagePayload(i) : `junk-${i}` }),
      );
      expect(garbage).toEqual({ 403: GARBAGE_TOKENS });
      const subjects = await flood(DISTINCT_SUBJECTS, (i) =>
        post(url, '/login', { email: `victim-${i}@example.com`, password: 'wrong' }),
      );
      expect(subjects).toEqual({ 401: DISTINCT_SUBJECTS });

      // Before the fix: 201, the claim had been evicted by the flood and the payload was accepted again.
      const replays = await flood(5, () => post(url, '/signup', { altcha: payload }), 5);
      expect({ replaysAccepted: replays[201] ?? 0 }).toEqual({ replaysAccepted: 0 });
      expect(replays).toEqual({ 403: 5 });
      // The counters the flood pushed out are counted, by kind.
      expect(await metric(registry, 'counter')).toBeGreaterThanOrEqual(
        DISTINCT_SUBJECTS - SMALL_BUDGET,
      );
    });
  });

  describe('store flooding (memory store, full claim budget)', () => {
    const MAX_CLAIMS = 3;
    let app: INestApplication;
    let url: string;
    let registry: Registry;

    beforeAll(async () => {
      ({ app, url, registry } = await boot(adapter, {
        provider: 'altcha',
        altcha: FAST_ALTCHA,
        storeFailureMode: 'open',
        memory: { maxEntries: SMALL_BUDGET, maxClaims: MAX_CLAIMS },
      } as CaptchaModuleOptions));
    });
    afterAll(() => app.close());

    it(`with ${MAX_CLAIMS} live claims the next solution is refused (503), never accepted without a claim, even with storeFailureMode 'open'`, async () => {
      const spent: string[] = [];
      for (let i = 0; i < MAX_CLAIMS; i += 1) {
        const payload = await solveAltcha(await challenge(url, 'signup'));
        expect(await post(url, '/signup', { altcha: payload })).toBe(201);
        spent.push(payload);
      }
      const fresh = await solveAltcha(await challenge(url, 'signup'));
      const res = await fetch(`${url.replace('[::1]', '127.0.0.1')}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ altcha: fresh }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await res.json()).toMatchObject({ error: 'captcha_unavailable' });
      // Spent payloads are still refused as spent; garbage never takes a claim slot.
      for (const payload of spent)
        expect(await post(url, '/signup', { altcha: payload })).toBe(403);
      expect(await flood(200, (i) => post(url, '/signup', { altcha: garbagePayload(i) }))).toEqual({
        403: 200,
      });
      expect(await metric(registry, 'claim_refused')).toBe(1);
    });
  });

  describe('store flooding with garbage tokens of a remote provider (memory store)', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      ({ app, url } = await boot(adapter, {
        provider: 'turnstile',
        siteKey: FakeCaptchaServer.siteKeys.turnstile,
        secretKey: FakeCaptchaServer.secrets.turnstile,
        verifyUrl: fake.verifyUrl('turnstile'),
        circuitBreaker: false,
        environment: 'staging',
        memory: { maxEntries: SMALL_BUDGET },
      }));
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    it(`an IP's failure counter survives ${GARBAGE_TOKENS} garbage tokens: 3 wrong guesses answered before the challenge`, async () => {
      expect(await post(url, '/ip-login', { password: 'wrong' })).toBe(401);
      expect(await post(url, '/ip-login', { password: 'wrong' })).toBe(401);
      const garbage = await flood(GARBAGE_TOKENS, (i) =>
        post(url, '/signup', { captchaToken: `garbage.token.${i}` }),
      );
      expect(garbage).toEqual({ 403: GARBAGE_TOKENS });
      // Before the fix: the garbage tokens' claims evicted the counter; 10 of 10 more guesses answered.
      let answered = 2;
      for (let i = 0; i < 10; i += 1) {
        const status = await post(url, '/ip-login', { password: 'wrong' });
        if (status !== 401) break;
        answered += 1;
      }
      expect({ wrongGuessesAnsweredBeforeChallenge: answered }).toEqual({
        wrongGuessesAnsweredBeforeChallenge: 3,
      });
    });
  });

  describe('store flooding on a full Redis (noeviction), storeFailureMode open', () => {
    let redis: RedisServer;
    let raw: Redis;
    let app: INestApplication;
    let url: string;
    let registry: Registry;

    beforeAll(async () => {
      redis = await RedisServer.start();
      raw = new Redis(redis.url);
      ({ app, url, registry } = await boot(adapter, {
        provider: 'altcha',
        altcha: FAST_ALTCHA,
        store: 'redis',
        redis: { url: redis.url },
        storeFailureMode: 'open',
      }));
    });
    afterAll(async () => {
      await app.close();
      raw.disconnect();
      await redis.stop();
    });

    it('a spent payload replayed once Redis is full is refused (403/503), never accepted', async () => {
      const payload = await solveAltcha(await challenge(url, 'signup'));
      expect(await post(url, '/signup', { altcha: payload })).toBe(201);
      const fresh = await solveAltcha(await challenge(url, 'signup'));

      // Other traffic fills Redis up to maxmemory under the recommended policy (noeviction).
      const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
      await raw.config('SET', 'maxmemory-policy', 'noeviction');
      await raw.config('SET', 'maxmemory', String(used + 512 * 1024));
      const filler = 'x'.repeat(1024);
      await expect(
        (async () => {
          for (let i = 0; ; i += 1) await raw.set(`filler:${i}`, filler);
        })(),
      ).rejects.toThrow(/OOM/);
      // Memory use wavers around the limit (client buffers); keep it firmly above.
      const full = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
      await raw.config('SET', 'maxmemory', String(full - 64 * 1024));

      // Before the fix: 201 (the OOM on the claim was a store failure, and 'open' let it through).
      const replay = await post(url, '/signup', { altcha: payload });
      expect([403, 503]).toContain(replay);
      expect(await post(url, '/signup', { altcha: fresh })).toBe(503);
      expect(await metric(registry, 'claim_refused')).toBeGreaterThanOrEqual(1);
    });
  });
});
