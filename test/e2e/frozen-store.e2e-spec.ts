import {
  Body,
  Controller,
  HttpCode,
  INestApplication,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { failedAttempts, RequireCaptcha, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { eventually } from '../support/eventually';
import { RedisServer } from '../support/redis-server';

@Controller()
class FrozenController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 2, window: '1m' }) })
  login(@Body() body: { password?: string }) {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }

  @Post('signup')
  @HttpCode(200)
  @RequireCaptcha({ action: 'signup' })
  signup() {
    return { ok: true };
  }
}

// A frozen Redis (SIGSTOP) runs, when it resumes (SIGCONT), the commands it received meanwhile.
// The request that timed out was answered 503: what it wrote must not outlive that answer.
describe.each(ADAPTERS)('%s: Redis frozen with SIGSTOP, then resumed', (adapter) => {
  let redis: RedisServer;
  let fake: FakeCaptchaServer;
  let app: INestApplication;

  const options = (): CaptchaModuleOptions => ({
    provider: 'turnstile',
    siteKey: FakeCaptchaServer.siteKeys.turnstile,
    secretKey: FakeCaptchaServer.secrets.turnstile,
    verifyUrl: fake.verifyUrl('turnstile'),
    store: 'redis',
    redis: { url: redis.url, keyPrefix: `frozen-${randomUUID()}:` },
  });

  beforeAll(async () => {
    redis = await RedisServer.start();
    fake = await FakeCaptchaServer.start();
  });
  beforeEach(async () => {
    app = await createCaptchaApp(options(), [FrozenController], adapter);
    // Connected before the freeze: a warm request through the store.
    await request(app.getHttpServer()).post('/login').send({ password: 'right' }).expect(200);
  });
  afterEach(async () => {
    redis.resume();
    await app.close();
  });
  afterAll(async () => {
    await fake.close();
    await redis.stop();
  });

  it("a token whose claim timed out (503) is verified on retry, not refused as 'duplicate'", async () => {
    const token = fake.issueToken({ provider: 'turnstile', action: 'signup' });
    const before = fake.requests.length;
    redis.pause();
    const frozen = await request(app.getHttpServer()).post('/signup').send({ captchaToken: token });
    redis.resume();
    expect(frozen.status).toBe(503);
    expect(frozen.body.error).toBe('captcha_unavailable');
    expect(frozen.headers['retry-after']).toBe('10'); // a store outage's Retry-After (README)
    expect(fake.requests.length).toBe(before); // the provider never saw the token

    const retry = await eventually(() =>
      request(app.getHttpServer()).post('/signup').send({ captchaToken: token }).expect(200),
    );
    expect(retry.body).toEqual({ ok: true });
    expect(fake.requests.length).toBe(before + 1);
    // Single use holds: the verified token is now spent.
    const replay = await request(app.getHttpServer())
      .post('/signup')
      .send({ captchaToken: token })
      .expect(403);
    expect(replay.body.details.reason).toBe('duplicate');
  });

  it('an attempt refused for the freeze (503) is not counted once Redis runs it late', async () => {
    await request(app.getHttpServer()).post('/login').send({}).expect(401); // 1 of 2
    redis.pause();
    const frozen = await request(app.getHttpServer()).post('/login').send({});
    redis.resume();
    expect(frozen.status).toBe(503);
    // Once Redis has caught up: the second failure is still under the threshold…
    await eventually(() =>
      request(app.getHttpServer()).post('/login').send({ password: 'right' }).expect(200),
    );
    await request(app.getHttpServer()).post('/login').send({}).expect(401); // 2 of 2
    // …and the next attempt meets the challenge.
    const challenged = await request(app.getHttpServer())
      .post('/login')
      .send({ password: 'right' })
      .expect(403);
    expect(challenged.body.error).toBe('captcha_required');
  });
});
