import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS } from '../support/create-app';
import {
  attempt,
  bootLoginApps,
  bruteForceOptions,
  REPORTING_PATHS,
  THRESHOLD,
  VICTIM,
  STORE_COMMAND_TIMEOUT_MS,
} from '../support/brute-force-login';
import { RedisServer } from '../support/redis-server';

/**
 * Attack: a burst races past the threshold (issue 13, hole 2). N wrong guesses sent at once: if
 * failures were only counted once each response is sent, every guess of the burst would be judged
 * against the count before it. At most `threshold` may get an answer; the rest must be challenged.
 */
const BURST = 60;

const setups = [
  { store: 'memory', instances: 1 },
  { store: 'redis', instances: 2 },
] as const;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe.each(setups)('burst race attack ($store store, $instances instance(s))', (setup) => {
    let fake: FakeCaptchaServer;
    let redis: RedisServer | undefined;
    let apps: INestApplication[] = [];
    let nextIp = 1;
    const newClient = () => `203.0.113.${nextIp++}`;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      if (setup.store === 'redis') redis = await RedisServer.start();
      const shared = redis && { server: redis, keyPrefix: `burst:${randomUUID()}:` };
      apps = await bootLoginApps(setup.instances, bruteForceOptions(fake, shared), adapter);
    });
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await fake?.close();
      await redis?.stop();
    });

    /** `BURST` wrong guesses from one IP, all at once, spread over the instances. */
    const burst = (ip: string, path = '/login') =>
      Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          attempt(apps[i % apps.length], ip, { email: VICTIM.email, password: `guess-${i}` }, path),
        ),
      );

    it.each(REPORTING_PATHS)(
      `answers at most ${THRESHOLD} of ${BURST} simultaneous wrong guesses; the rest are challenged (outcome reported by $reporting)`,
      async ({ path }) => {
        const ip = newClient();
        const responses = await burst(ip, path);
        const answered = responses.filter((r) => r.status === 401).length;
        const challenged = responses.filter(
          (r) => r.status === 403 && r.body.error === 'captcha_required',
        ).length;
        expect({ answered, challenged }).toEqual({
          answered: THRESHOLD,
          challenged: BURST - THRESHOLD,
        });
        // The refused guesses were refunded, the answered ones kept: the next guess, on any
        // instance, is challenged, and a second burst gets nothing.
        for (const app of apps) {
          const next = await attempt(app, ip, { email: VICTIM.email, password: 'one-more' }, path);
          expect(next.status).toBe(403);
        }
        const again = await burst(ip, path);
        expect(again.filter((r) => r.status === 401)).toHaveLength(0);
      },
    );

    if (setup.store === 'redis') {
      it('a count Redis does not answer in time is a store failure (503), never an unchecked guess', async () => {
        const admin = new Redis(redis!.url);
        try {
          // Redis holds every write (the count's EVAL) well past the store's command timeout.
          await admin.client('PAUSE', STORE_COMMAND_TIMEOUT_MS + 500, 'WRITE');
          const ip = newClient();
          const responses = await Promise.all(
            apps.map((app) => attempt(app, ip, { email: VICTIM.email, password: 'stalled' })),
          );
          for (const res of responses) {
            expect(res.status).toBe(503);
            expect(res.body.error).toBe('captcha_unavailable');
          }
        } finally {
          await admin.client('UNPAUSE');
          await admin.quit();
        }
      });
    }

    it('a burst from one IP does not spend another IP’s attempts', async () => {
      await burst(newClient());
      const other = newClient();
      const res = await attempt(apps[apps.length - 1], other, {
        email: VICTIM.email,
        password: 'first-try',
      });
      expect(res.status).toBe(401);
    });
  });
});
