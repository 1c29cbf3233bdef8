import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS } from '../support/create-app';
import {
  ATTACKER,
  attempt,
  bootLoginApps,
  bruteForceOptions,
  REPORTING_PATHS,
  THRESHOLD,
  VICTIM,
} from '../support/brute-force-login';
import { RedisServer } from '../support/redis-server';

/**
 * Attack: a calm success wipes the per-IP count (issue 13, hole 1). The attacker has an account of
 * their own: two wrong guesses at the victim's password, then one correct sign-in to their own
 * account (no challenge is due yet), and again. If that sign-in cleared the IP's counter, the
 * guessing would never be challenged.
 */
const ROUNDS = 20;
const GUESSES = ROUNDS * 2;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe.each(['memory', 'redis'] as const)('calm success reset attack (%s store)', (store) => {
    let fake: FakeCaptchaServer;
    let redis: RedisServer | undefined;
    let app: INestApplication;
    let nextIp = 1;
    const newClient = () => `198.51.100.${nextIp++}`;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      if (store === 'redis') redis = await RedisServer.start();
      const shared = redis && { server: redis, keyPrefix: `calm:${randomUUID()}:` };
      [app] = await bootLoginApps(1, bruteForceOptions(fake, shared), adapter);
    });
    afterAll(async () => {
      await app?.close();
      await fake?.close();
      await redis?.stop();
    });

    describe.each(REPORTING_PATHS)('outcome reported by $reporting', ({ path }) => {
      /**
       * Two wrong guesses, one sign-in to the attacker's own account, repeated; returns the wrong
       * guesses answered (401) before the first challenge.
       */
      async function guessesBeforeChallenge(ip: string): Promise<number> {
        let answered = 0;
        for (let round = 0; round < ROUNDS; round++) {
          for (let guess = 0; guess < 2; guess++) {
            const res = await attempt(
              app,
              ip,
              { email: VICTIM.email, password: `guess-${round}` },
              path,
            );
            if (res.status !== 401) {
              expect(res.status).toBe(403);
              expect(res.body.error).toBe('captcha_required');
              return answered;
            }
            answered += 1;
          }
          const own = await attempt(app, ip, ATTACKER, path);
          if (own.status !== 200) {
            expect(own.body.error).toBe('captcha_required');
            return answered;
          }
        }
        return answered;
      }

      it(`answers at most ${THRESHOLD} of ${GUESSES} wrong guesses before the first challenge, own sign-ins in between`, async () => {
        const answered = await guessesBeforeChallenge(newClient());
        expect(answered).toBeLessThanOrEqual(THRESHOLD);
      });

      it(`a solved challenge followed by the attacker's own sign-in buys at most ${THRESHOLD} more guesses`, async () => {
        const ip = newClient();
        expect(await guessesBeforeChallenge(ip)).toBeLessThanOrEqual(THRESHOLD);
        // The attacker pays: solves a challenge and signs in to their own account. That proves a
        // human, so the IP starts clean (resetOn: 'verified') — but only once per solved challenge.
        const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
        expect((await attempt(app, ip, { ...ATTACKER, captchaToken: token }, path)).status).toBe(
          200,
        );
        expect(await guessesBeforeChallenge(ip)).toBeLessThanOrEqual(THRESHOLD);
      });
    });
  });
});
