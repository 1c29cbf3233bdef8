import { Controller, HttpCode, INestApplication, Post } from '@nestjs/common';
import request from 'supertest';
import { RequireCaptcha, type AltchaChallenge, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { RedisServer } from '../support/redis-server';
import { FAST_ALTCHA, solveAltcha } from '../support/solve-altcha';

@Controller()
class StepUpController {
  @Post('signup')
  @HttpCode(200)
  @RequireCaptcha({ action: 'signup', minScore: 0.5 })
  signup() {
    return { ok: true };
  }

  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', minScore: 0.5 })
  login() {
    return { ok: true };
  }

  @Post('plain')
  @HttpCode(200)
  @RequireCaptcha({ action: 'plain', minScore: 0.5, stepUp: false })
  plain() {
    return { ok: true };
  }
}

@Controller()
class PerRouteController {
  @Post('comment')
  @HttpCode(200)
  @RequireCaptcha({ action: 'comment', minScore: 0.5, stepUp: 'altcha' })
  comment() {
    return { ok: true };
  }

  @Post('search')
  @HttpCode(200)
  @RequireCaptcha({ action: 'search', minScore: 0.5 })
  search() {
    return { ok: true };
  }
}

@Controller()
class UnregisteredStepUpController {
  @Post('miswired')
  @RequireCaptcha({ action: 'miswired', minScore: 0.5, stepUp: 'turnstile' })
  miswired() {
    return {};
  }
}

const STORES = ['memory', 'redis'] as const;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe.each(STORES)('step-up on a low score (%s store)', (store) => {
    let fake: FakeCaptchaServer;
    let redis: RedisServer | undefined;
    let app: INestApplication;
    let ipCounter = 0;
    const http = () => request(app.getHttpServer());
    /** A client address of its own per test, so grants never leak between tests. */
    const nextIp = () => `203.0.113.${++ipCounter}`;

    const options = (): CaptchaModuleOptions => ({
      provider: 'recaptcha',
      siteKey: FakeCaptchaServer.siteKeys.recaptcha,
      secretKey: FakeCaptchaServer.secrets.recaptcha,
      verifyUrl: fake.verifyUrl('recaptcha'),
      stepUp: {
        provider: 'hcaptcha',
        siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
        secretKey: FakeCaptchaServer.secrets.hcaptcha,
        verifyUrl: fake.verifyUrl('hcaptcha'),
      },
      trustProxy: 'loopback',
      ...(store === 'redis'
        ? { store: 'redis', redis: { url: redis!.url, keyPrefix: `stepup${Date.now()}:` } }
        : {}),
    });

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      if (store === 'redis') redis = await RedisServer.start();
      app = await createCaptchaApp(options(), [StepUpController], adapter);
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
      await redis?.stop();
    });

    const invisible = (ip: string, path: string, action: string, score: number) =>
      http()
        .post(path)
        .set('x-forwarded-for', ip)
        .send({ captchaToken: fake.issueToken({ provider: 'recaptcha', action, score }) });
    const interactive = (ip: string, path: string, token?: string) =>
      http()
        .post(path)
        .set('x-forwarded-for', ip)
        .send({
          captcha: {
            provider: 'hcaptcha',
            token: token ?? fake.issueToken({ provider: 'hcaptcha' }),
          },
        });

    it('answers a low score with captcha_required naming the interactive provider, then accepts its token once', async () => {
      const ip = nextIp();
      const low = await invisible(ip, '/signup', 'signup', 0.1).expect(403);
      expect(low.body).toMatchObject({
        error: 'captcha_required',
        details: {
          provider: 'hcaptcha',
          site_key: FakeCaptchaServer.siteKeys.hcaptcha,
          action: 'signup',
          step_up: true,
          reason: 'score_too_low',
        },
      });
      const token = fake.issueToken({ provider: 'hcaptcha' });
      await interactive(ip, '/signup', token).expect(200);
      // The same token again: the grant is spent (and the token claimed).
      const replay = await interactive(ip, '/signup', token).expect(403);
      expect(replay.body).toMatchObject({
        error: 'captcha_invalid',
        details: { reason: 'invalid', code: 'step_up_not_granted', provider: 'recaptcha' },
      });
      // A fresh interactive token without a new low score: still refused.
      const again = await interactive(ip, '/signup').expect(403);
      expect(again.body.details.code).toBe('step_up_not_granted');
    });

    it('refuses an interactive token from a client that was never stepped up, without a provider call', async () => {
      const calls = fake.requests.length;
      const res = await interactive(nextIp(), '/signup').expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_invalid',
        details: { reason: 'invalid', code: 'step_up_not_granted', provider: 'recaptcha' },
      });
      expect(fake.requests.length).toBe(calls);
    });

    it('binds the grant to the client and to the action', async () => {
      const ip = nextIp();
      await invisible(ip, '/signup', 'signup', 0.1).expect(403);
      // Another client cannot spend it…
      await interactive(nextIp(), '/signup').expect(403);
      // …nor another action of the same client…
      const otherAction = await interactive(ip, '/login').expect(403);
      expect(otherAction.body.details.code).toBe('step_up_not_granted');
      // …while the client it was granted to still can.
      await interactive(ip, '/signup').expect(200);
    });

    it('lets exactly one of two parallel interactive answers spend one grant', async () => {
      const ip = nextIp();
      await invisible(ip, '/signup', 'signup', 0.1).expect(403);
      const answers = await Promise.all([
        interactive(ip, '/signup'),
        interactive(ip, '/signup'),
        interactive(ip, '/signup'),
      ]);
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).toEqual([200, 403, 403]);
    });

    it('does not hold the interactive token to the score threshold that sent the client there', async () => {
      const ip = nextIp();
      await invisible(ip, '/signup', 'signup', 0.1).expect(403);
      // hCaptcha Enterprise replies carry a score of their own; the widget was the proof.
      const scored = fake.issueToken({ provider: 'hcaptcha', score: 0 });
      await interactive(ip, '/signup', scored).expect(200);
    });

    it('passes a score above the threshold without a step-up', async () => {
      const ip = nextIp();
      const res = await invisible(ip, '/signup', 'signup', 0.9).expect(200);
      expect(res.body).toEqual({ ok: true });
      // And grants nothing.
      await interactive(ip, '/signup').expect(403);
    });

    it('keeps captcha_invalid score_too_low on a route without a step-up', async () => {
      const ip = nextIp();
      const res = await invisible(ip, '/plain', 'plain', 0.1).expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_invalid',
        details: { reason: 'score_too_low', provider: 'recaptcha', action: 'plain' },
      });
      expect(res.body.details.step_up).toBeUndefined();
      // The interactive provider is not an answer there either.
      const stated = await interactive(ip, '/plain').expect(403);
      expect(stated.body).toMatchObject({
        error: 'captcha_required',
        details: { provider: 'recaptcha' },
      });
    });

    it('refuses an interactive token the provider rejects, even with a grant', async () => {
      const ip = nextIp();
      await invisible(ip, '/signup', 'signup', 0.1).expect(403);
      const res = await interactive(ip, '/signup', 'forged-token-0000').expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_invalid',
        details: { provider: 'hcaptcha' },
      });
    });

    it('still demands the invisible proof first when no token came', async () => {
      const res = await http()
        .post('/signup')
        .set('x-forwarded-for', nextIp())
        .send({})
        .expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_required',
        details: { provider: 'recaptcha', action: 'signup' },
      });
      expect(res.body.details.step_up).toBeUndefined();
    });
  });
});

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('step-up declared per route', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;
    const http = () => request(app.getHttpServer());
    const recaptcha = (): CaptchaModuleOptions => ({
      provider: 'recaptcha',
      siteKey: FakeCaptchaServer.siteKeys.recaptcha,
      secretKey: FakeCaptchaServer.secrets.recaptcha,
      verifyUrl: fake.verifyUrl('recaptcha'),
      trustProxy: 'loopback',
    });

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      app = await createCaptchaApp(
        { ...recaptcha(), providers: [{ provider: 'altcha' }], altcha: FAST_ALTCHA },
        [PerRouteController],
        adapter,
      );
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    it('steps up to the route’s ALTCHA: its challenge URL, solved, then accepted once', async () => {
      const ip = '198.51.100.40';
      const low = fake.issueToken({ provider: 'recaptcha', action: 'comment', score: 0.2 });
      const res = await http()
        .post('/comment')
        .set('x-forwarded-for', ip)
        .send({ captchaToken: low })
        .expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_required',
        details: {
          provider: 'altcha',
          site_key: null,
          challenge_url: '/captcha/challenge?action=comment',
          action: 'comment',
          step_up: true,
          reason: 'score_too_low',
        },
      });
      const challenge = await http().get(res.body.details.challenge_url).expect(200);
      const payload = await solveAltcha(challenge.body as AltchaChallenge);
      const answer = () =>
        http()
          .post('/comment')
          .set('x-forwarded-for', ip)
          .send({ captcha: { provider: 'altcha', token: payload } });
      await answer().expect(200);
      expect((await answer().expect(403)).body.details.code).toBe('step_up_not_granted');
    });

    it('keeps captcha_invalid score_too_low on a route without stepUp when the module has no default', async () => {
      const low = fake.issueToken({ provider: 'recaptcha', action: 'search', score: 0.2 });
      const res = await http().post('/search').send({ captchaToken: low }).expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_invalid',
        details: { reason: 'score_too_low', provider: 'recaptcha' },
      });
    });

    it('stops start-up when a route steps up to a provider that is not registered', async () => {
      await expect(
        createCaptchaApp(recaptcha(), [UnregisteredStepUpController], adapter),
      ).rejects.toThrow(
        'miswired: @RequireCaptcha({ stepUp }) names turnstile, which is not registered (stepUp, providers or fallback)',
      );
    });
  });
});

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('step-up while the store is down', () => {
    let fake: FakeCaptchaServer;
    let redis: RedisServer;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      redis = await RedisServer.start();
    });
    afterAll(async () => {
      await fake.close();
      await redis.stop();
    });

    it.each(['closed', 'open'] as const)(
      'never lets an interactive token through without its grant (storeFailureMode %s)',
      async (storeFailureMode) => {
        const app = await createCaptchaApp(
          {
            provider: 'recaptcha',
            siteKey: FakeCaptchaServer.siteKeys.recaptcha,
            secretKey: FakeCaptchaServer.secrets.recaptcha,
            verifyUrl: fake.verifyUrl('recaptcha'),
            stepUp: {
              provider: 'hcaptcha',
              siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
              secretKey: FakeCaptchaServer.secrets.hcaptcha,
              verifyUrl: fake.verifyUrl('hcaptcha'),
            },
            store: 'redis',
            redis: { url: redis.url, keyPrefix: `down-${storeFailureMode}:` },
            storeFailureMode,
          },
          [StepUpController],
          adapter,
        );
        try {
          const low = fake.issueToken({ provider: 'recaptcha', action: 'signup', score: 0.1 });
          await request(app.getHttpServer())
            .post('/signup')
            .send({ captchaToken: low })
            .expect(403);
          await redis.stop();
          const calls = fake.requests.length;
          const res = await request(app.getHttpServer())
            .post('/signup')
            .send({
              captcha: { provider: 'hcaptcha', token: fake.issueToken({ provider: 'hcaptcha' }) },
            });
          if (storeFailureMode === 'closed') {
            expect(res.status).toBe(503);
            expect(res.body.error).toBe('captcha_unavailable');
          } else {
            expect(res.status).toBe(403);
            expect(res.body.details).toMatchObject({
              reason: 'invalid',
              code: 'step_up_not_granted',
            });
          }
          expect(fake.requests.length).toBe(calls);
        } finally {
          // Up again, so the app's client closes cleanly.
          await redis.start();
          await app.close();
        }
      },
    );
  });
});
