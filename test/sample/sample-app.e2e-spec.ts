import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { AppModule } from '../../sample/app.module';
import { ADAPTERS, startApp, type HttpAdapterName } from '../support/create-app';
import { RedisServer } from '../support/redis-server';
import { solveAltcha } from '../support/solve-altcha';

const CAPTCHA_VARIABLES = [
  'CAPTCHA_PROVIDER',
  'CAPTCHA_SITE_KEY',
  'CAPTCHA_SECRET_KEY',
  'CAPTCHA_VERIFY_URL',
  'CAPTCHA_STORE',
  'CAPTCHA_REDIS_URL',
];

async function bootSample(
  adapter: HttpAdapterName,
  env: Record<string, string> = {},
): Promise<INestApplication> {
  for (const name of CAPTCHA_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  return startApp(moduleRef, adapter);
}

const WRONG = { email: 'demo@example.com', password: 'wrong' };
const RIGHT = { email: 'demo@example.com', password: 'correct-horse' };

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('sample app on its defaults (ALTCHA, memory store, no keys, no network)', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await bootSample(adapter);
    });
    afterAll(async () => {
      await app.close();
    });
    const http = () => request(app.getHttpServer());

    it('is healthy and names its provider', async () => {
      expect((await http().get('/health').expect(200)).body).toEqual({
        status: 'ok',
        provider: 'altcha',
      });
    });

    it('signs in without a challenge while there is no risk', async () => {
      const res = await http().post('/auth/login').send(RIGHT).expect(200);
      expect(res.body).toEqual({ signedIn: true, email: RIGHT.email, captcha: null });
    });

    it('challenges after three failed logins, and the solved ALTCHA lets the right password in', async () => {
      for (let i = 0; i < 3; i++) await http().post('/auth/login').send(WRONG).expect(401);

      const challenged = await http().post('/auth/login').send(RIGHT).expect(403);
      expect(challenged.body).toMatchObject({
        error: 'captcha_required',
        details: {
          provider: 'altcha',
          site_key: null,
          action: 'login',
          challenge_url: '/captcha/challenge?action=login',
        },
      });

      const challenge = (await http().get(challenged.body.details.challenge_url).expect(200)).body;
      const payload = await solveAltcha(challenge);
      const res = await http()
        .post('/auth/login')
        .send({ ...RIGHT, altcha: payload })
        .expect(200);
      expect(res.body).toEqual({
        signedIn: true,
        email: RIGHT.email,
        captcha: { provider: 'altcha', success: true },
      });

      // The success reset the counter: the next sign-in needs no challenge.
      await http().post('/auth/login').send(RIGHT).expect(200);
    });

    it('keeps answering 401 for a wrong password once the captcha is solved', async () => {
      for (let i = 0; i < 3; i++) await http().post('/auth/login').send(WRONG).expect(401);
      const payload = await solveAltcha(
        (await http().get('/captcha/challenge?action=login').expect(200)).body,
      );
      await http()
        .post('/auth/login')
        .send({ ...WRONG, altcha: payload })
        .expect(401);
    });

    it('always challenges sign-up', async () => {
      const res = await http()
        .post('/auth/signup')
        .send({ email: 'new@example.com', password: 'pw' })
        .expect(403);
      expect(res.body.error).toBe('captcha_required');
      const payload = await solveAltcha(
        (await http().get('/captcha/challenge?action=signup').expect(200)).body,
      );
      const created = await http()
        .post('/auth/signup')
        .send({ email: 'new@example.com', password: 'pw', altcha: payload })
        .expect(201);
      expect(created.body).toMatchObject({ created: true, email: 'new@example.com' });
    });

    it('rejects a bad sign-up body with 400 after the captcha passed', async () => {
      const payload = await solveAltcha(
        (await http().get('/captcha/challenge?action=signup').expect(200)).body,
      );
      await http()
        .post('/auth/signup')
        .send({ email: 'not-an-email', password: 'pw', altcha: payload })
        .expect(400);
    });

    it("signs in under the strict ValidationPipe with the browser client's captcha: { provider, token }", async () => {
      // Fail until challenged (earlier tests may have left failures counted).
      for (let i = 0; i < 4; i++) {
        const res = await http().post('/auth/login').send(WRONG);
        if (res.status === 403) break;
        expect(res.status).toBe(401);
      }
      await http().post('/auth/login').send(RIGHT).expect(403);
      const payload = await solveAltcha(
        (await http().get('/captcha/challenge?action=login').expect(200)).body,
      );
      const res = await http()
        .post('/auth/login')
        .send({ ...RIGHT, captcha: { provider: 'altcha', token: payload } })
        .expect(200);
      expect(res.body.captcha).toEqual({ provider: 'altcha', success: true });
    });

    it('keeps the ValidationPipe strict: an unknown field is a 400', async () => {
      const res = await http()
        .post('/auth/token')
        .send({ client_id: 'demo-client', client_secret: 'demo-client-secret', scope: 'all' })
        .expect(400);
      expect(JSON.stringify(res.body)).toContain('scope');
    });

    describe('POST /comments (a service verifying with CaptchaVerifier)', () => {
      const comment = (body: object) => http().post('/comments').send(body);

      it('answers a comment without a token 403 captcha_required with the challenge for `comment`', async () => {
        const res = await comment({ text: 'hello' }).expect(403);
        expect(res.body).toMatchObject({
          statusCode: 403,
          error: 'captcha_required',
          details: {
            provider: 'altcha',
            site_key: null,
            action: 'comment',
            challenge_url: '/captcha/challenge?action=comment',
          },
        });
      });

      it('creates the comment with a solved challenge (201), once', async () => {
        const payload = await solveAltcha(
          (await http().get('/captcha/challenge?action=comment').expect(200)).body,
        );
        const res = await comment({ text: 'hello', captcha: { token: payload } }).expect(201);
        expect(res.body).toEqual({ id: expect.any(Number), text: 'hello' });
        const replay = await comment({ text: 'again', captcha: { token: payload } }).expect(403);
        expect(replay.body).toMatchObject({
          error: 'captcha_invalid',
          details: { reason: 'duplicate', provider: 'altcha', action: 'comment' },
        });
      });

      it('answers a bad token 403 captcha_invalid with the reason, as the guard does', async () => {
        const res = await comment({ text: 'hello', captcha: { token: 'not-a-payload' } }).expect(
          403,
        );
        expect(res.body).toEqual({
          statusCode: 403,
          error: 'captcha_invalid',
          message: expect.any(String),
          details: {
            reason: expect.stringMatching(/^(malformed|invalid)$/),
            provider: 'altcha',
            site_key: null,
            action: 'comment',
            challenge_url: '/captcha/challenge?action=comment',
          },
        });
      });

      it('refuses a challenge solved for another action', async () => {
        const payload = await solveAltcha(
          (await http().get('/captcha/challenge?action=login').expect(200)).body,
        );
        const res = await comment({ text: 'hello', captcha: { token: payload } }).expect(403);
        expect(res.body.error).toBe('captcha_invalid');
      });

      it('validates the comment strictly (400 for an unknown field)', async () => {
        await comment({ text: 'hello', extra: 1 }).expect(400);
      });
    });

    it('never challenges the machine-to-machine token endpoint', async () => {
      const res = await http()
        .post('/auth/token')
        .send({ client_id: 'demo-client', client_secret: 'demo-client-secret' })
        .expect(200);
      expect(res.body.token_type).toBe('Bearer');
      await http()
        .post('/auth/token')
        .send({ client_id: 'demo-client', client_secret: 'nope' })
        .expect(401);
    });
  });

  describe('sample app switched to Turnstile by environment variables', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;
    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      app = await bootSample(adapter, {
        CAPTCHA_PROVIDER: 'turnstile',
        CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.turnstile,
        CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile,
        CAPTCHA_VERIFY_URL: fake.verifyUrl('turnstile'),
      });
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
      for (const name of CAPTCHA_VARIABLES) delete process.env[name];
    });

    it('verifies sign-up tokens against the configured endpoint', async () => {
      const http = () => request(app.getHttpServer());
      const required = await http()
        .post('/auth/signup')
        .send({ email: 'a@example.com', password: 'pw' })
        .expect(403);
      expect(required.body.details).toEqual({
        provider: 'turnstile',
        site_key: FakeCaptchaServer.siteKeys.turnstile,
        action: 'signup',
      });

      const token = fake.issueToken({ provider: 'turnstile', action: 'signup' });
      const before = fake.requests.length;
      await http()
        .post('/auth/signup')
        .send({ email: 'a@example.com', password: 'pw', 'cf-turnstile-response': token })
        .expect(201);
      expect(fake.requests.length).toBe(before + 1);
    });

    it("answers POST /comments 503 captcha_unavailable with Retry-After while Turnstile is down (the service's own verification; was 500)", async () => {
      const http = () => request(app.getHttpServer());
      const token = () => fake.issueToken({ provider: 'turnstile', action: 'comment' });
      await http()
        .post('/comments')
        .send({ text: 'up', captcha: { token: token() } })
        .expect(201);
      fake.fault('turnstile', { status: 503 });
      try {
        const res = await http()
          .post('/comments')
          .send({ text: 'down', captcha: { token: token() } })
          .expect(503);
        expect(res.body).toMatchObject({
          statusCode: 503,
          error: 'captcha_unavailable',
          details: { provider: 'turnstile', fallback: null },
        });
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      } finally {
        fake.clearFaults();
      }
    });
  });

  describe('sample app with CAPTCHA_STORE=redis', () => {
    let redis: RedisServer;
    let apps: INestApplication[];
    beforeAll(async () => {
      redis = await RedisServer.start();
      const env = { CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: redis.url };
      apps = [await bootSample(adapter, env), await bootSample(adapter, env)];
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await redis.stop();
      for (const name of CAPTCHA_VARIABLES) delete process.env[name];
    });

    it('counts failed logins across two instances sharing Redis', async () => {
      const [a, b] = apps.map((app) => () => request(app.getHttpServer()));
      await a().post('/auth/login').send(WRONG).expect(401);
      await b().post('/auth/login').send(WRONG).expect(401);
      await a().post('/auth/login').send(WRONG).expect(401);
      const res = await b().post('/auth/login').send(RIGHT).expect(403);
      expect(res.body.error).toBe('captcha_required');
    });
  });
});
