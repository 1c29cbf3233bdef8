import { Body, Controller, HttpCode, Logger, Module, Post } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CaptchaModule,
  CaptchaResult,
  captchaOptionsFromEnv,
  CaptchaVerifier,
  RequireCaptcha,
  type CaptchaVerification,
} from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp } from '../support/create-app';

@Controller()
class CommentController {
  @Post('comment')
  @HttpCode(200)
  @RequireCaptcha({ action: 'comment' })
  comment(@Body() _body: unknown, @CaptchaResult() captcha: CaptchaVerification) {
    return captcha;
  }
}

/** An app module as the README writes it: options from the environment through ConfigService. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
    CaptchaModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => captchaOptionsFromEnv(config),
    }),
  ],
  controllers: [CommentController],
})
class AppModule {}

/** The CAPTCHA lines written through Nest's Logger, by level. */
function captureCaptchaLogs() {
  const lines: { level: string; context: string; text: string }[] = [];
  const spies = (['log', 'warn', 'error', 'debug'] as const).map((level) =>
    jest.spyOn(Logger.prototype, level).mockImplementation(function (
      this: Logger,
      ...args: unknown[]
    ) {
      const context = (this as unknown as { context?: string }).context ?? '';
      if (context.startsWith('Captcha')) {
        lines.push({ level, context, text: JSON.stringify(args[0]) });
      }
    }),
  );
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('CaptchaTestingModule.override on an app using forRootAsync', () => {
    let logs: ReturnType<typeof captureCaptchaLogs>;
    beforeEach(() => {
      logs = captureCaptchaLogs();
    });
    afterEach(() => logs.restore());

    it('puts the test provider into the app module: test-pass passes once, test-fail fails', async () => {
      const moduleRef = await CaptchaTestingModule.override(
        Test.createTestingModule({ imports: [AppModule] }),
      ).compile();
      const app = await startApp(moduleRef, adapter, { listen: false });
      const post = (token: string) =>
        request(app.getHttpServer()).post('/comment').send({ captchaToken: token });
      try {
        const ok = await post(CAPTCHA_TEST_TOKENS.pass).expect(200);
        expect(ok.body).toMatchObject({ success: true, provider: 'turnstile' });
        // The same single-use claim as a real provider: a replayed token is a duplicate.
        const replay = await post(CAPTCHA_TEST_TOKENS.pass).expect(403);
        expect(replay.body).toMatchObject({
          error: 'captcha_invalid',
          details: { reason: 'duplicate', provider: 'turnstile', action: 'comment' },
        });
        // Fresh pass tokens for tests that need several.
        await post(CAPTCHA_TEST_TOKENS.freshPass()).expect(200);
        await post(CAPTCHA_TEST_TOKENS.freshPass()).expect(200);
        await post('test-pass:second').expect(200);
        await post('test-pass:second').expect(403);

        const fail = await post(CAPTCHA_TEST_TOKENS.fail('expired')).expect(403);
        expect(fail.body.details.reason).toBe('expired');
        // A failed token is not spent (the provider refused it), like the real providers.
        await post(CAPTCHA_TEST_TOKENS.fail('expired')).expect(403);
        await post(CAPTCHA_TEST_TOKENS.unavailable).expect(503);
        expect((await app.get(CaptchaVerifier).verify('something-else')).reason).toBe('invalid');
      } finally {
        await app.close();
      }
      // Quiet by default: rejections and the outage were logged, at debug only.
      expect(logs.lines.filter((line) => line.text.includes('captcha.decision')).length).toBe(9);
      expect(logs.lines.filter((line) => line.level !== 'debug')).toEqual([]);
      expect(logs.lines.some((line) => line.text.includes('captcha.provider_unreachable'))).toBe(
        true,
      );
    });

    it('takes the testing options (provider, score) and logs at the usual levels when asked', async () => {
      const moduleRef = await CaptchaTestingModule.override(
        Test.createTestingModule({ imports: [AppModule] }),
        { provider: 'hcaptcha', score: 0.8, verboseLogs: true },
      ).compile();
      const app = await startApp(moduleRef, adapter, { listen: false });
      try {
        const ok = await request(app.getHttpServer())
          .post('/comment')
          .send({ captchaToken: CAPTCHA_TEST_TOKENS.pass })
          .expect(200);
        expect(ok.body).toMatchObject({ success: true, provider: 'hcaptcha', score: 0.8 });
        await request(app.getHttpServer())
          .post('/comment')
          .send({ captchaToken: CAPTCHA_TEST_TOKENS.fail('invalid') })
          .expect(403);
      } finally {
        await app.close();
      }
      expect(logs.lines).toContainEqual(
        expect.objectContaining({ level: 'warn', context: 'CaptchaGuard' }),
      );
    });

    it('why: overrideModule(CaptchaModule) cannot match a forRootAsync import, the real module stays', async () => {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
        .overrideModule(CaptchaModule)
        .useModule(CaptchaTestingModule.forRoot())
        .compile();
      const app = await startApp(moduleRef, adapter, { listen: false });
      try {
        const res = await request(app.getHttpServer())
          .post('/comment')
          .send({ captchaToken: CAPTCHA_TEST_TOKENS.pass })
          .expect(403);
        expect(res.body.details).toMatchObject({ reason: 'malformed', provider: 'altcha' });
      } finally {
        await app.close();
      }
    });

    it('refuses under NODE_ENV=production, like forRoot', () => {
      const previous = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        expect(() =>
          CaptchaTestingModule.override(Test.createTestingModule({ imports: [AppModule] })),
        ).toThrow(/CaptchaTestingModule refuses to load in production \(NODE_ENV=production\)/);
      } finally {
        process.env.NODE_ENV = previous;
      }
    });
  });
});
