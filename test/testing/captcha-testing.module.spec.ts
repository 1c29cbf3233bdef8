import { Controller, HttpCode, Logger, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CaptchaResult,
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
  comment(@CaptchaResult() captcha: CaptchaVerification) {
    return captcha;
  }
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('CaptchaTestingModule', () => {
    const boot = async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [CaptchaTestingModule.forRoot({ score: 0.9 })],
        controllers: [CommentController],
      }).compile();
      return startApp(moduleRef, adapter, { listen: false });
    };

    it('runs the real guard with test tokens and no network', async () => {
      // Loud levels, to prove the module writes its decisions and audit events at debug only.
      const loud = (['warn', 'error'] as const).map((level) => jest.spyOn(Logger.prototype, level));
      const app = await boot();
      const http = () => request(app.getHttpServer());
      const missing = await http().post('/comment').send({}).expect(403);
      expect(missing.body.details).toEqual({
        provider: 'turnstile',
        site_key: 'test-site-key',
        action: 'comment',
      });
      const ok = await http()
        .post('/comment')
        .send({ captchaToken: CAPTCHA_TEST_TOKENS.pass })
        .expect(200);
      expect(ok.body).toMatchObject({ success: true, provider: 'turnstile', score: 0.9 });
      // Single-use like a real provider's token: the replay is refused by the verifier's claim.
      const replay = await http()
        .post('/comment')
        .send({ captchaToken: CAPTCHA_TEST_TOKENS.pass })
        .expect(403);
      expect(replay.body.details.reason).toBe('duplicate');
      await http()
        .post('/comment')
        .send({ captchaToken: CAPTCHA_TEST_TOKENS.freshPass() })
        .expect(200);
      const dup = await http()
        .post('/comment')
        .send({ captchaToken: CAPTCHA_TEST_TOKENS.fail('duplicate') })
        .expect(403);
      expect(dup.body.details.reason).toBe('duplicate');
      await http()
        .post('/comment')
        .send({ captchaToken: CAPTCHA_TEST_TOKENS.unavailable })
        .expect(503);
      await http()
        .post('/comment')
        .send({ captchaToken: CAPTCHA_TEST_TOKENS.misconfigured })
        .expect(503);
      expect((await app.get(CaptchaVerifier).verify('anything-else')).reason).toBe('invalid');
      await app.close();
      const loudCaptchaLines = loud.flatMap((spy) =>
        spy.mock.contexts.filter((logger) =>
          String((logger as unknown as { context?: string }).context).startsWith('Captcha'),
        ),
      );
      loud.forEach((spy) => spy.mockRestore());
      expect(loudCaptchaLines).toEqual([]);
    });

    it('refuses to load under NODE_ENV=production unless explicitly allowed', () => {
      const previous = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        expect(() => CaptchaTestingModule.forRoot()).toThrow(
          /refuses to load in production \(NODE_ENV=production\)/,
        );
        expect(() => CaptchaTestingModule.forRoot({ allowInProduction: true })).not.toThrow();
      } finally {
        process.env.NODE_ENV = previous;
      }
    });
  });
});
