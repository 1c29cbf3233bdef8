import {
  Body,
  Controller,
  HttpCode,
  Injectable,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CaptchaExceptionFilter,
  CaptchaModule,
  CaptchaStoreError,
  CaptchaVerifier,
  MemoryCaptchaStore,
  type CaptchaModuleOptions,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createHttpAdapter, type HttpAdapterName } from '../support/create-app';

/** The README's "any service" pattern, both ways: `verify()` itself, and `verifyOrThrow()`. */
@Injectable()
class CommentService {
  constructor(private readonly captcha: CaptchaVerifier) {}

  async plain(token: unknown): Promise<{ ok: boolean; reason?: string }> {
    const v = await this.captcha.verify(token, { action: 'comment' });
    return v.success ? { ok: true } : { ok: false, reason: v.reason };
  }

  async strict(token: unknown): Promise<{ ok: true; provider: string }> {
    const v = await this.captcha.verifyOrThrow(token, { action: 'comment' });
    return { ok: true, provider: v.provider };
  }
}

@Controller()
class CommentController {
  constructor(private readonly comments: CommentService) {}

  @Post('plain')
  @HttpCode(200)
  plain(@Body() body: { token?: unknown }) {
    return this.comments.plain(body.token);
  }

  @Post('strict')
  @HttpCode(200)
  strict(@Body() body: { token?: unknown }) {
    return this.comments.strict(body.token);
  }
}

/** A store whose single-use claims fail, as Redis down would. */
class ClaimlessStore extends MemoryCaptchaStore {
  override claim(): Promise<boolean> {
    return Promise.reject(new CaptchaStoreError('redis store unavailable: connection refused'));
  }
}

/** An app registering the filter exactly as the README shows, on a real port. */
async function bootApp(
  adapter: HttpAdapterName,
  options: CaptchaModuleOptions,
  globalFilter = true,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaModule.forRoot(options)],
    controllers: [CommentController],
    providers: [CommentService],
  }).compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(adapter), { logger: false });
  if (globalFilter) app.useGlobalFilters(new CaptchaExceptionFilter(app.get(HttpAdapterHost)));
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('a service verifying with CaptchaVerifier (no guard)', () => {
    let fake: FakeCaptchaServer;
    let apps: INestApplication[] = [];
    const boot = async (extra: Partial<CaptchaModuleOptions> = {}, globalFilter = true) => {
      const app = await bootApp(
        adapter,
        {
          provider: 'turnstile',
          siteKey: FakeCaptchaServer.siteKeys.turnstile,
          secretKey: FakeCaptchaServer.secrets.turnstile,
          verifyUrl: fake.verifyUrl('turnstile'),
          timeoutMs: 300,
          circuitBreaker: { threshold: 2, halfOpenAfterMs: 30_000 },
          auditSink: { emit: () => undefined },
          ...extra,
        },
        globalFilter,
      );
      apps.push(app);
      return app;
    };
    const post = (app: INestApplication, path: string, body: object) =>
      request(app.getHttpServer()).post(path).send(body);
    const token = () => fake.issueToken({ provider: 'turnstile', action: 'comment' });

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
    });
    afterEach(async () => {
      fake.clearFaults();
      await Promise.all(apps.map((app) => app.close()));
      apps = [];
    });
    afterAll(() => fake.close());

    it("answers verify()'s outage 503 captcha_unavailable with Retry-After under the global filter (was 500)", async () => {
      const app = await boot();
      fake.fault('turnstile', { status: 503 });
      const res = await post(app, '/plain', { token: token() }).expect(503);
      expect(res.body).toMatchObject({
        statusCode: 503,
        error: 'captcha_unavailable',
        details: { provider: 'turnstile', fallback: null },
      });
      expect(typeof res.body.message).toBe('string');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it("answers Retry-After from the provider's open circuit", async () => {
      const app = await boot();
      fake.fault('turnstile', { status: 502 });
      for (let i = 0; i < 2; i++) await post(app, '/plain', { token: token() }).expect(503);
      const calls = fake.requests.length;
      const res = await post(app, '/plain', { token: token() }).expect(503);
      expect(fake.requests.length).toBe(calls); // the circuit is open: not asked
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(10); // the 30 s cool-down, not the 10 s default
      expect(retryAfter).toBeLessThanOrEqual(30);
    });

    it('names the fallback method of the module policy in details.fallback', async () => {
      const app = await boot({ failureMode: 'fallback', fallback: { method: 'email_otp' } });
      fake.fault('turnstile', { hang: true });
      const res = await post(app, '/plain', { token: token() }).expect(503);
      expect(res.body.details).toEqual({ provider: 'turnstile', fallback: 'email_otp' });
    });

    it('names the fallback provider while the primary is down (the service decides whether to take its token)', async () => {
      const app = await boot({ failureMode: 'fallback', fallback: { provider: 'altcha' } });
      fake.fault('turnstile', { status: 500 });
      const res = await post(app, '/strict', { token: token() }).expect(503);
      expect(res.body.details).toEqual({ provider: 'turnstile', fallback: 'altcha' });
    });

    it('answers misconfigured 503 without the fallback (a client can provoke it)', async () => {
      const app = await boot({
        failureMode: 'fallback',
        fallback: { method: 'email_otp' },
        secretKey: '0x4AAAAAAAwrong-secret-value',
      });
      const res = await post(app, '/plain', { token: token() }).expect(503);
      expect(res.body).toMatchObject({
        error: 'captcha_unavailable',
        details: { provider: 'turnstile', fallback: null },
      });
      expect(JSON.stringify(res.body)).not.toContain('wrong-secret');
    });

    it('keeps a bad token a verdict for verify() (200 with the reason)', async () => {
      const app = await boot();
      const res = await post(app, '/plain', { token: 'forged-token' }).expect(200);
      expect(res.body).toEqual({ ok: false, reason: 'invalid' });
    });

    describe('verifyOrThrow()', () => {
      it('passes a good token', async () => {
        const app = await boot();
        const res = await post(app, '/strict', { token: token() }).expect(200);
        expect(res.body).toEqual({ ok: true, provider: 'turnstile' });
      });

      it('answers a missing token 403 captcha_required naming the provider', async () => {
        const app = await boot();
        const res = await post(app, '/strict', {}).expect(403);
        expect(res.body).toMatchObject({
          error: 'captcha_required',
          details: {
            provider: 'turnstile',
            site_key: FakeCaptchaServer.siteKeys.turnstile,
            action: 'comment',
          },
        });
      });

      it('answers a bad or spent token 403 captcha_invalid with the reason, as the guard does', async () => {
        const app = await boot();
        const forged = await post(app, '/strict', { token: 'forged-token' }).expect(403);
        expect(forged.body).toEqual({
          statusCode: 403,
          error: 'captcha_invalid',
          message: expect.any(String),
          details: {
            reason: 'invalid',
            provider: 'turnstile',
            site_key: FakeCaptchaServer.siteKeys.turnstile,
            action: 'comment',
          },
        });
        const once = token();
        await post(app, '/strict', { token: once }).expect(200);
        const spent = await post(app, '/strict', { token: once }).expect(403);
        expect(spent.body.details.reason).toBe('duplicate');
      });

      it('answers an outage 503 even without the global filter (no Retry-After then)', async () => {
        const app = await boot({}, false);
        fake.fault('turnstile', { status: 503 });
        const res = await post(app, '/strict', { token: token() }).expect(503);
        expect(res.body).toMatchObject({
          error: 'captcha_unavailable',
          details: { provider: 'turnstile', fallback: null },
        });
      });

      it('answers a store failure 503 captcha_unavailable (storeFailureMode closed)', async () => {
        const app = await boot({ store: new ClaimlessStore() });
        const res = await post(app, '/strict', { token: token() }).expect(503);
        expect(res.body).toMatchObject({
          error: 'captcha_unavailable',
          details: { provider: 'turnstile', fallback: null },
        });
      });

      it('answers an outage 503 with Retry-After under the global filter', async () => {
        const app = await boot();
        fake.fault('turnstile', { closeConnection: true });
        const res = await post(app, '/strict', { token: token() }).expect(503);
        expect(res.body.error).toBe('captcha_unavailable');
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      });
    });
  });
});
