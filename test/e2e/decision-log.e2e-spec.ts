import { Controller, HttpCode, Post, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { RequireCaptcha, requestRate } from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp } from '../support/create-app';

@Controller()
class LoggedController {
  @Post('comment')
  @HttpCode(200)
  @RequireCaptcha({ action: 'comment', when: requestRate({ max: 0, window: '1m' }) })
  comment() {
    return { ok: true };
  }
}

class RecordingLogger implements LoggerService {
  readonly entries: { level: string; message: unknown }[] = [];
  log = (message: unknown) => this.entries.push({ level: 'log', message });
  warn = (message: unknown) => this.entries.push({ level: 'warn', message });
  error = (message: unknown) => this.entries.push({ level: 'error', message });
  debug = (message: unknown) => this.entries.push({ level: 'debug', message });
  verbose = (message: unknown) => this.entries.push({ level: 'verbose', message });
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('decision logs', () => {
    it('log the condition, outcome, client IP and its source, never the token', async () => {
      const logger = new RecordingLogger();
      const moduleRef = await Test.createTestingModule({
        imports: [CaptchaTestingModule.forRoot({ trustProxy: 'loopback', verboseLogs: true })],
        controllers: [LoggedController],
      }).compile();
      const app = await startApp(moduleRef, adapter, { logger, listen: false });
      const http = () =>
        request(app.getHttpServer()).post('/comment').set('x-forwarded-for', '203.0.113.50');

      await http().send({}).expect(403);
      const secretLooking = CAPTCHA_TEST_TOKENS.fail('invalid');
      await http().send({ captchaToken: secretLooking }).expect(403);
      await http().send({ captchaToken: CAPTCHA_TEST_TOKENS.pass }).expect(200);
      await app.close();

      const decisions = logger.entries.filter((e) => typeof e.message === 'object');
      expect(decisions).toEqual([
        {
          level: 'warn',
          message: expect.objectContaining({
            event: 'captcha.decision',
            action: 'comment',
            condition: 'requestRate',
            outcome: 'missing',
            clientIp: '203.0.113.50',
            clientIpSource: 'x-forwarded-for',
          }),
        },
        {
          level: 'warn',
          message: expect.objectContaining({
            event: 'captcha.decision',
            outcome: 'invalid',
            clientIp: '203.0.113.50',
          }),
        },
        {
          level: 'debug',
          message: expect.objectContaining({ event: 'captcha.decision', outcome: 'success' }),
        },
      ]);
      const everything = JSON.stringify(logger.entries);
      expect(everything).not.toContain(secretLooking);
      expect(everything).not.toContain(CAPTCHA_TEST_TOKENS.pass);
    });
  });
});
