import {
  Body,
  Controller,
  HttpCode,
  INestApplication,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CaptchaResult,
  failedAttempts,
  MemoryCaptchaStore,
  RequireCaptcha,
  type CaptchaStore,
  type CaptchaVerification,
} from 'nestjs-captcha';
import {
  CAPTCHA_TEST_TOKENS,
  CaptchaTestingModule,
  FakeCaptchaServer,
} from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp, startApp, type HttpAdapterName } from '../support/create-app';

/** A store that can be switched off, failing like a custom store would (a plain Error). */
class SwitchableStore implements CaptchaStore {
  down = false;
  private readonly inner = new MemoryCaptchaStore();
  private check() {
    if (this.down) throw new Error('connection refused to 10.0.0.5:6379 password=hunter2');
  }
  async increment(key: string, windowMs: number) {
    this.check();
    return this.inner.increment(key, windowMs);
  }
  async decrement(key: string) {
    this.check();
    return this.inner.decrement(key);
  }
  async count(key: string) {
    this.check();
    return this.inner.count(key);
  }
  async reset(key: string) {
    this.check();
    return this.inner.reset(key);
  }
  async claim(key: string, ttlMs: number) {
    this.check();
    return this.inner.claim(key, ttlMs);
  }
  async release(key: string) {
    this.check();
    return this.inner.release(key);
  }
}

@Controller()
class StoreController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 1, window: '1m' }) })
  login(@Body() body: { password?: string }, @CaptchaResult() captcha?: CaptchaVerification) {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true, captcha: captcha ?? null };
  }

  @Post('signup')
  @HttpCode(200)
  @RequireCaptcha({ action: 'signup' })
  signup(@CaptchaResult() captcha: CaptchaVerification) {
    return { ok: true, captcha };
  }
}

async function boot(
  adapter: HttpAdapterName,
  store: CaptchaStore,
  storeFailureMode?: 'open' | 'closed',
) {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaTestingModule.forRoot({ store, storeFailureMode })],
    controllers: [StoreController],
  }).compile();
  return startApp(moduleRef, adapter, { listen: false });
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('store failure policy', () => {
    let app: INestApplication;
    const store = new SwitchableStore();
    afterEach(async () => {
      store.down = false;
      await app.close();
    });

    it('closed (default): 503 captcha_unavailable when a condition cannot read the store, then recovers', async () => {
      app = await boot(adapter, store);
      store.down = true;
      const res = await request(app.getHttpServer())
        .post('/login')
        .send({ password: 'right' })
        .expect(503);
      expect(res.body).toMatchObject({ error: 'captcha_unavailable', details: { fallback: null } });
      expect(res.headers['retry-after']).toBeDefined();
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
      store.down = false;
      await request(app.getHttpServer()).post('/login').send({ password: 'right' }).expect(200);
    });

    it('open: requests go on without the store, and a failure in the outcome hook never changes the answer', async () => {
      app = await boot(adapter, store, 'open');
      store.down = true;
      await request(app.getHttpServer()).post('/login').send({ password: 'right' }).expect(200);
      // The failure cannot be counted, but the 401 still reaches the client.
      await request(app.getHttpServer()).post('/login').send({ password: 'wrong' }).expect(401);
      const res = await request(app.getHttpServer())
        .post('/signup')
        .send({ captchaToken: CAPTCHA_TEST_TOKENS.pass })
        .expect(200);
      expect(res.body.captcha.success).toBe(true);
    });
  });

  describe('store failure policy for single-use claims (Turnstile against FakeCaptchaServer)', () => {
    let fake: FakeCaptchaServer;
    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
    });
    afterAll(() => fake.close());

    const bootTurnstile = (store: CaptchaStore, storeFailureMode?: 'open' | 'closed') =>
      createCaptchaApp(
        {
          provider: 'turnstile',
          siteKey: FakeCaptchaServer.siteKeys.turnstile,
          secretKey: FakeCaptchaServer.secrets.turnstile,
          verifyUrl: fake.verifyUrl('turnstile'),
          store,
          storeFailureMode,
        },
        [StoreController],
        adapter,
      );

    it('closed: a claim that cannot be made is 503, and the provider is never asked', async () => {
      const store = new SwitchableStore();
      const app = await bootTurnstile(store);
      store.down = true;
      const before = fake.requests.length;
      const token = fake.issueToken({ provider: 'turnstile', action: 'signup' });
      await request(app.getHttpServer()).post('/signup').send({ captchaToken: token }).expect(503);
      expect(fake.requests.length).toBe(before);
      // The token was not burnt: it works once the store is back.
      store.down = false;
      await request(app.getHttpServer()).post('/signup').send({ captchaToken: token }).expect(200);
      await app.close();
    });

    it('open: the provider still judges the token; only replay protection is lost', async () => {
      const store = new SwitchableStore();
      const app = await bootTurnstile(store, 'open');
      store.down = true;
      const token = fake.issueToken({ provider: 'turnstile', action: 'signup' });
      await request(app.getHttpServer()).post('/signup').send({ captchaToken: token }).expect(200);
      // The provider itself refuses the replay.
      const replay = await request(app.getHttpServer())
        .post('/signup')
        .send({ captchaToken: token })
        .expect(403);
      expect(replay.body.details.reason).toBe('duplicate');
      await request(app.getHttpServer())
        .post('/signup')
        .send({ captchaToken: 'forged' })
        .expect(403);
      await app.close();
    });
  });
});
