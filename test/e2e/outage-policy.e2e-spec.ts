import { Controller, HttpException, INestApplication, Post } from '@nestjs/common';
import request from 'supertest';
import { RequireCaptcha, type CaptchaAuditEvent, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { clockPast } from '../support/eventually';
import { PolicyRoutesController } from '../support/policy-routes.controller';
import { FAST_ALTCHA, solveAltcha } from '../support/solve-altcha';

@Controller()
class RateLimitedController {
  @Post('limited')
  @RequireCaptcha({ action: 'limited', when: () => false })
  limited() {
    // The app's own rate limiter: not ours to render.
    throw new HttpException(
      { statusCode: 429, message: 'ThrottlerException: Too Many Requests' },
      429,
    );
  }
}

/** The circuit's cool-down in these cases. */
const HALF_OPEN_AFTER_MS = 400;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('outage policy', () => {
    let fake: FakeCaptchaServer;
    let apps: INestApplication[] = [];
    let events: CaptchaAuditEvent[];
    let circuitOpenedAt = Number.NaN;

    const boot = async (extra: Partial<CaptchaModuleOptions> = {}) => {
      events = [];
      const app = await createCaptchaApp(
        {
          provider: 'turnstile',
          siteKey: FakeCaptchaServer.siteKeys.turnstile,
          secretKey: FakeCaptchaServer.secrets.turnstile,
          verifyUrl: fake.verifyUrl('turnstile'),
          timeoutMs: 300,
          circuitBreaker: { threshold: 3, halfOpenAfterMs: HALF_OPEN_AFTER_MS },
          auditSink: {
            emit: (event) => {
              if (event.event === 'captcha.circuit_opened') circuitOpenedAt = performance.now();
              events.push(event);
            },
          },
          ...extra,
        },
        [PolicyRoutesController, RateLimitedController],
        adapter,
      );
      apps.push(app);
      return app;
    };
    const login = (app: INestApplication, body: object = {}) =>
      request(app.getHttpServer()).post('/login').send(body);
    const token = (action = 'login') => fake.issueToken({ provider: 'turnstile', action });
    const names = () => events.map((e) => e.event);
    /** Waits out the cool-down from the moment the circuit last opened (its audit event). */
    const coolDown = async () => {
      expect(names()).toContain('captcha.circuit_opened');
      await clockPast(circuitOpenedAt + HALF_OPEN_AFTER_MS);
    };

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
    });
    afterEach(async () => {
      fake.clearFaults();
      await Promise.all(apps.map((app) => app.close()));
      apps = [];
    });
    afterAll(() => fake.close());

    describe('circuit breaker', () => {
      it('opens after the threshold and then answers at once without calling the provider', async () => {
        const app = await boot();
        fake.fault('turnstile', { status: 503 });
        for (let i = 0; i < 3; i++) await login(app, { captchaToken: token() }).expect(503);
        expect(names()).toContain('captcha.circuit_opened');

        const calls = fake.requests.length;
        const res = await login(app, { captchaToken: token() }).expect(503);
        expect(fake.requests.length).toBe(calls);
        expect(res.body.details).toEqual({ provider: 'turnstile', fallback: null });
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      });

      it('half-opens after the cool-down and closes on a good answer', async () => {
        const app = await boot();
        fake.fault('turnstile', { status: 502 });
        for (let i = 0; i < 3; i++) await login(app, { captchaToken: token() }).expect(503);
        fake.clearFaults();
        await coolDown();
        await login(app, { captchaToken: token() }).expect(200);
        expect(names()).toEqual(
          expect.arrayContaining(['captcha.circuit_opened', 'captcha.circuit_closed']),
        );
        await login(app, { captchaToken: token() }).expect(200);
      });

      it('re-opens when the half-open trial fails', async () => {
        const app = await boot();
        fake.fault('turnstile', { status: 500 });
        for (let i = 0; i < 3; i++) await login(app, { captchaToken: token() }).expect(503);
        await coolDown();
        const calls = fake.requests.length;
        await login(app, { captchaToken: token() }).expect(503);
        expect(fake.requests.length).toBeGreaterThan(calls);
        const afterTrial = fake.requests.length;
        await login(app, { captchaToken: token() }).expect(503);
        expect(fake.requests.length).toBe(afterTrial);
        expect(names().filter((n) => n === 'captcha.circuit_opened')).toHaveLength(2);
      });

      it('does not count bad tokens against the provider', async () => {
        const app = await boot();
        for (let i = 0; i < 5; i++) await login(app, { captchaToken: `forged-${i}` }).expect(403);
        await login(app, { captchaToken: token() }).expect(200);
        expect(names()).not.toContain('captcha.circuit_opened');
      });
    });

    describe('fallback to a second provider (ALTCHA)', () => {
      const fallbackApp = () =>
        boot({ failureMode: 'fallback', fallback: { provider: 'altcha' }, altcha: FAST_ALTCHA });

      it('answers captcha_required naming ALTCHA, accepts its solution while the primary is down, and returns to the primary after recovery', async () => {
        const app = await fallbackApp();
        fake.fault('turnstile', { hang: true });
        const switched = await login(app, { captchaToken: token() }).expect(403);
        expect(switched.body).toMatchObject({
          error: 'captcha_required',
          details: {
            provider: 'altcha',
            site_key: null,
            action: 'login',
            challenge_url: '/captcha/challenge?action=login',
          },
        });
        expect(events).toContainEqual(
          expect.objectContaining({
            event: 'captcha.fallback_used',
            provider: 'turnstile',
            fallback: 'altcha',
          }),
        );

        // A fresh client is sent straight to ALTCHA while the primary is down.
        const fresh = await login(app).expect(403);
        expect(fresh.body.details.provider).toBe('altcha');

        const challenge = (
          await request(app.getHttpServer()).get('/captcha/challenge?action=login').expect(200)
        ).body;
        const solved = await solveAltcha(challenge);
        const ok = await login(app, { captcha: { provider: 'altcha', token: solved } }).expect(200);
        expect(ok.body.captcha).toMatchObject({ success: true, provider: 'altcha' });

        // Recovery: the circuit closes on a good answer; ALTCHA is no longer accepted.
        fake.clearFaults();
        // The primary's outage mark has no event to anchor to: wait out the cool-down plus a
        // margin from here (a lower bound only; a slow machine only waits longer).
        await clockPast(performance.now() + HALF_OPEN_AFTER_MS + 50);
        await login(app, { captchaToken: token() }).expect(200);
        const again = await solveAltcha(
          (await request(app.getHttpServer()).get('/captcha/challenge?action=login')).body,
        );
        const refused = await login(app, { captcha: { provider: 'altcha', token: again } }).expect(
          403,
        );
        expect(refused.body).toMatchObject({
          error: 'captcha_required',
          details: { provider: 'turnstile' },
        });
      });

      it('never accepts the fallback while the primary is healthy', async () => {
        const app = await fallbackApp();
        const challenge = (
          await request(app.getHttpServer()).get('/captcha/challenge?action=login').expect(200)
        ).body;
        const res = await login(app, { altcha: await solveAltcha(challenge) }).expect(403);
        expect(res.body.details.provider).toBe('turnstile');
      });

      it('answers misconfigured as closed, never with the fallback (a client could provoke it)', async () => {
        const app = await boot({
          failureMode: 'fallback',
          fallback: { provider: 'altcha' },
          altcha: FAST_ALTCHA,
          secretKey: '0x4AAAAAAAwrong-secret-value',
        });
        const res = await login(app, { captchaToken: token() }).expect(503);
        expect(res.body.details).toEqual({ provider: 'turnstile', fallback: null });
        expect(names()).toEqual(['captcha.misconfigured']);
      });
    });

    it('fallback to a method answers 503 naming it', async () => {
      const app = await boot({ failureMode: 'fallback', fallback: { method: 'email_otp' } });
      fake.fault('turnstile', { status: 503 });
      const res = await login(app, { captchaToken: token() }).expect(503);
      expect(res.body).toMatchObject({
        error: 'captcha_unavailable',
        details: { provider: 'turnstile', fallback: 'email_otp' },
      });
      expect(res.headers['retry-after']).toBeDefined();
      expect(events).toContainEqual(
        expect.objectContaining({ event: 'captcha.fallback_used', fallback: 'email_otp' }),
      );
    });

    it('a route can override the module policy (closed module, open route)', async () => {
      const app = await boot();
      fake.fault('turnstile', { status: 503 });
      await login(app, { captchaToken: token() }).expect(503);
      const res = await request(app.getHttpServer())
        .post('/comment')
        .send({ captchaToken: token('comment') })
        .expect(200);
      expect(res.body.captcha).toMatchObject({
        success: false,
        degraded: true,
        reason: 'provider_unavailable',
      });
      expect(events).toContainEqual(
        expect.objectContaining({ event: 'captcha.fail_open', action: 'comment' }),
      );
    });

    it("passes the app's own 429 through untouched, never as a captcha error", async () => {
      const app = await boot();
      const res = await request(app.getHttpServer()).post('/limited').send({}).expect(429);
      expect(res.body).toEqual({
        statusCode: 429,
        message: 'ThrottlerException: Too Many Requests',
      });
      expect(res.headers['retry-after']).toBeUndefined();
    });

    it('audit events never carry the token or the secret', async () => {
      const app = await boot({ secretKey: '0x4AAAAAAAwrong-secret-value' });
      const sent = token();
      await login(app, { captchaToken: sent }).expect(503);
      fake.fault('turnstile', { status: 500 });
      await login(app, { captchaToken: token() }).expect(503);
      const text = JSON.stringify(events);
      expect(text).not.toContain(sent);
      expect(text).not.toContain('wrong-secret-value');
      expect(events.length).toBeGreaterThan(0);
    });
  });
});
