import { Body, Controller, HttpCode, INestApplication, Post } from '@nestjs/common';
import request from 'supertest';
import {
  CaptchaResult,
  RequireCaptcha,
  SkipCaptcha,
  type CaptchaModuleOptions,
  type CaptchaVerification,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';

@Controller()
class ProtectedController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  login(@CaptchaResult() captcha: CaptchaVerification) {
    return { ok: true, captcha };
  }

  @Post('risky')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'comment',
    when: (ctx) =>
      (ctx.request as { headers: Record<string, string> }).headers['x-risky'] === 'yes',
  })
  risky(@CaptchaResult() captcha?: CaptchaVerification) {
    return { ok: true, challenged: captcha !== undefined };
  }

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: unknown) {
    return { ok: true, body };
  }
}

@Controller('admin')
@RequireCaptcha({ action: 'admin' })
class ClassLevelController {
  @Post('change')
  @HttpCode(200)
  change() {
    return { ok: true };
  }

  @Post('machine')
  @HttpCode(200)
  @SkipCaptcha()
  machine() {
    return { ok: true };
  }
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('CaptchaGuard over HTTP (Turnstile against FakeCaptchaServer)', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;
    let options: CaptchaModuleOptions;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      options = {
        provider: 'turnstile',
        siteKey: FakeCaptchaServer.siteKeys.turnstile,
        secretKey: FakeCaptchaServer.secrets.turnstile,
        verifyUrl: fake.verifyUrl('turnstile'),
        timeoutMs: 500,
      };
      app = await createCaptchaApp(options, [ProtectedController, ClassLevelController], adapter);
    });

    afterEach(() => fake.clearFaults());

    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    const server = () => app.getHttpServer();
    const details = (action: string) => ({
      provider: 'turnstile',
      site_key: FakeCaptchaServer.siteKeys.turnstile,
      action,
    });

    it('answers 403 captcha_required with exactly the contract body when no token came', async () => {
      const res = await request(server()).post('/login').send({ email: 'a@b.c' }).expect(403);
      expect(res.body).toEqual({
        statusCode: 403,
        error: 'captcha_required',
        message: 'Please complete the verification step to continue.',
        details: details('login'),
      });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it('answers 403 captcha_invalid with the reason for a token the provider rejects', async () => {
      const res = await request(server())
        .post('/login')
        .send({ captcha: { token: 'not-a-real-token' } })
        .expect(403);
      expect(res.body).toEqual({
        statusCode: 403,
        error: 'captcha_invalid',
        message: 'The verification could not be confirmed. Please try again.',
        details: { reason: 'invalid', ...details('login') },
      });
      expect(res.text).toContain('"details":{"reason":"invalid","provider":"turnstile"');
    });

    it('runs the handler with the verification in @CaptchaResult() for a valid token', async () => {
      const token = fake.issueToken({
        provider: 'turnstile',
        action: 'login',
        hostname: 'localhost',
      });
      const res = await request(server())
        .post('/login')
        .send({ captcha: { provider: 'turnstile', token } })
        .expect(200);
      expect(res.body.ok).toBe(true);
      expect(res.body.captcha).toMatchObject({
        success: true,
        provider: 'turnstile',
        action: 'login',
        hostname: 'localhost',
        errorCodes: [],
      });
    });

    it.each([
      ['body captchaToken', (t: string) => ({ body: { captchaToken: t } })],
      [
        'the widget field cf-turnstile-response',
        (t: string) => ({ body: { 'cf-turnstile-response': t } }),
      ],
      ['header x-captcha-token', (t: string) => ({ header: t })],
    ])('reads the token from %s', async (_where, place) => {
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      const { body, header } = place(token) as { body?: object; header?: string };
      const req = request(server()).post('/login');
      if (header) req.set('x-captcha-token', header);
      await req.send(body ?? {}).expect(200);
    });

    it('refuses a replayed token as duplicate, without asking the provider again', async () => {
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      await request(server()).post('/login').send({ captchaToken: token }).expect(200);
      const calls = fake.requests.length;
      const res = await request(server()).post('/login').send({ captchaToken: token }).expect(403);
      expect(res.body.details.reason).toBe('duplicate');
      expect(fake.requests.length).toBe(calls);
    });

    it('refuses a token made for another action', async () => {
      const token = fake.issueToken({ provider: 'turnstile', action: 'signup' });
      const res = await request(server()).post('/login').send({ captchaToken: token }).expect(403);
      expect(res.body.details.reason).toBe('action_mismatch');
    });

    it('lets requests through untouched when the condition is false, and challenges when true', async () => {
      const calm = await request(server()).post('/risky').send({}).expect(200);
      expect(calm.body.challenged).toBe(false);
      const risky = await request(server())
        .post('/risky')
        .set('x-risky', 'yes')
        .send({})
        .expect(403);
      expect(risky.body.error).toBe('captcha_required');
      expect(risky.body.details.action).toBe('comment');
    });

    it('applies class-level @RequireCaptcha, and @SkipCaptcha() exempts a handler', async () => {
      const res = await request(server()).post('/admin/change').send({}).expect(403);
      expect(res.body.details.action).toBe('admin');
      await request(server()).post('/admin/machine').send({}).expect(200);
    });

    it('answers 503 captcha_unavailable with Retry-After when the provider is down', async () => {
      fake.fault('turnstile', { status: 503 });
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      const res = await request(server()).post('/login').send({ captchaToken: token }).expect(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'captcha_unavailable',
        message: 'Verification is temporarily unavailable. Please try again in a moment.',
        details: { provider: 'turnstile', fallback: null },
      });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('keeps a token redeemable after an outage: the retry succeeds once the provider is back', async () => {
      fake.fault('turnstile', { hang: true });
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      await request(server()).post('/login').send({ captchaToken: token }).expect(503);
      fake.clearFaults();
      await request(server()).post('/login').send({ captchaToken: token }).expect(200);
    });

    describe('bad input at the HTTP edge', () => {
      it.each([
        ['a number', 12345],
        ['an array', ['a', 'b']],
        ['an object', { nested: 'x' }],
        ['null', null],
        ['an empty string', ''],
        ['a 10 kB string', 'a'.repeat(10 * 1024)],
        ['unicode', 'tökén-✓-😀'],
        ['a NUL byte', 'abc\u0000def'],
        ['spaces', 'abc def'],
      ])(
        'answers 403 malformed for a token that is %s, without calling the provider',
        async (_what, token) => {
          const calls = fake.requests.length;
          const res = await request(server())
            .post('/login')
            .send({ captcha: { token } })
            .expect(403);
          expect(res.body.error).toBe('captcha_invalid');
          expect(res.body.details.reason).toBe('malformed');
          expect(fake.requests.length).toBe(calls);
        },
      );

      it('answers 413 for a 1 MB body and keeps serving', async () => {
        const res = await request(server())
          .post('/login')
          .set('content-type', 'application/json')
          .send(JSON.stringify({ captchaToken: 'x'.repeat(1024 * 1024) }));
        expect(res.status).toBe(413);
        await request(server()).post('/echo').send({ still: 'alive' }).expect(200);
      });

      it('answers 400 for a body that is not JSON and keeps serving', async () => {
        const res = await request(server())
          .post('/login')
          .set('content-type', 'application/json')
          .send('{"captcha": ');
        expect(res.status).toBe(400);
        await request(server()).post('/echo').send({ still: 'alive' }).expect(200);
      });
    });
  });

  describe('CaptchaGuard with failureMode "open"', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      app = await createCaptchaApp(
        {
          provider: 'turnstile',
          siteKey: FakeCaptchaServer.siteKeys.turnstile,
          secretKey: FakeCaptchaServer.secrets.turnstile,
          verifyUrl: fake.verifyUrl('turnstile'),
          timeoutMs: 300,
          failureMode: 'open',
        },
        [ProtectedController],
        adapter,
      );
    });

    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    it('lets the request through with a degraded result when the provider is down', async () => {
      fake.fault('turnstile', { closeConnection: true });
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      const res = await request(app.getHttpServer())
        .post('/login')
        .send({ captchaToken: token })
        .expect(200);
      expect(res.body.captcha).toMatchObject({
        success: false,
        degraded: true,
        reason: 'provider_unavailable',
      });
    });

    it('fails closed on misconfigured even in open mode: a client could provoke it', async () => {
      fake.clearFaults();
      fake.fault('turnstile', {
        status: 200,
        body: JSON.stringify({ success: false, 'error-codes': ['invalid-input-secret'] }),
        times: 1,
      });
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      const res = await request(app.getHttpServer())
        .post('/login')
        .send({ captchaToken: token })
        .expect(503);
      expect(res.body.error).toBe('captcha_unavailable');
    });

    it('still refuses a bad token: open applies to outages only', async () => {
      fake.clearFaults();
      const res = await request(app.getHttpServer())
        .post('/login')
        .send({ captchaToken: 'forged' })
        .expect(403);
      expect(res.body.details.reason).toBe('invalid');
    });
  });
});
