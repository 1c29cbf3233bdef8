import {
  Body,
  Controller,
  HttpCode,
  type INestApplication,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import request from 'supertest';
import { failedAttempts, RequireCaptcha } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';

/**
 * `countOn` error codes and `failedResult` on controllers: neither can be judged from the status
 * (a 200 `{ ok: false }`), so the outcome interceptor stays on these routes and judges them.
 */
const THRESHOLD = 3;
const calls: string[] = [];

@Controller()
class FailureController {
  @Post('data-login')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'data-login',
    when: failedAttempts({
      threshold: THRESHOLD,
      window: '15m',
      per: 'body.email',
      failedResult: (result) => (result as { ok: boolean }).ok === false,
    }),
  })
  dataLogin(@Body() body: { email: string; password: string }) {
    calls.push('data-login');
    return { ok: body.password === 'right' };
  }

  @Post('code-login')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'code-login',
    when: failedAttempts({
      threshold: THRESHOLD,
      window: '15m',
      per: 'body.email',
      countOn: ['UNAUTHENTICATED'],
    }),
  })
  codeLogin(@Body() body: { email: string; password: string }) {
    calls.push('code-login');
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }
}

describe.each(ADAPTERS)('%s: failedResult and countOn codes on controllers', (adapter) => {
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
      },
      [FailureController],
      adapter,
    );
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });
  beforeEach(() => {
    calls.length = 0;
  });

  it.each([
    ['data-login', 200],
    ['code-login', 401],
  ])(
    '%s: 3 of 10 wrong guesses reach the handler, the rest are challenged',
    async (path, status) => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await request(app.getHttpServer())
          .post(`/${path}`)
          .send({ email: `victim@example.com`, password: `guess-${i}` });
        statuses.push(res.status);
      }
      expect(calls).toHaveLength(THRESHOLD);
      expect(statuses).toEqual([
        ...Array.from({ length: THRESHOLD }, () => status),
        ...Array.from({ length: 10 - THRESHOLD }, () => 403),
      ]);
      // Another account is not affected, and a right password is not a failure.
      for (let i = 0; i < 5; i++) {
        await request(app.getHttpServer())
          .post(`/${path}`)
          .send({ email: 'owner@example.com', password: 'right' })
          .expect(200);
      }
    },
  );
});
