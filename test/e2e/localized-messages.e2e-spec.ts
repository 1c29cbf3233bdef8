import { Controller, HttpCode, INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CAPTCHA_MESSAGES, RequireCaptcha } from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp } from '../support/create-app';

@Controller()
class GreetingController {
  @Post('signup')
  @HttpCode(200)
  @RequireCaptcha({ action: 'signup' })
  signup() {
    return { ok: true };
  }
}

describe.each(ADAPTERS)('localized answers (%s)', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CaptchaTestingModule.forRoot({
          messages: { it: { captcha_required: 'Completa la verifica per continuare.' } },
        }),
      ],
      controllers: [GreetingController],
    }).compile();
    app = await startApp(moduleRef, adapter);
  });
  afterAll(() => app.close());
  const post = (language?: string) => {
    const req = request(app.getHttpServer()).post('/signup');
    if (language) req.set('accept-language', language);
    return req;
  };

  it.each(['de', 'es', 'fr', 'pt', 'ja', 'zh', 'ru'])(
    'answers captcha_required in %s',
    async (language) => {
      const res = await post(`${language};q=0.9, en;q=0.1`).send({}).expect(403);
      expect(res.body.message).toBe(CAPTCHA_MESSAGES[language].captcha_required);
      expect(res.body.error).toBe('captcha_required');
      expect(res.headers['content-language']).toBe(language);
    },
  );

  it('localizes captcha_invalid and captcha_unavailable too, keeping the rest of the body', async () => {
    const invalid = await post('de-DE')
      .send({ captchaToken: CAPTCHA_TEST_TOKENS.fail('expired') })
      .expect(403);
    expect(invalid.body).toMatchObject({
      error: 'captcha_invalid',
      message: CAPTCHA_MESSAGES.de.captcha_invalid,
      details: { reason: 'expired' },
    });
    const down = await post('fr')
      .send({ captchaToken: CAPTCHA_TEST_TOKENS.unavailable })
      .expect(503);
    expect(down.body.message).toBe(CAPTCHA_MESSAGES.fr.captcha_unavailable);
  });

  it('falls back to English, and uses the app’s own messages where given', async () => {
    expect((await post('ko').send({}).expect(403)).body.message).toBe(
      CAPTCHA_MESSAGES.en.captcha_required,
    );
    expect((await post().send({}).expect(403)).body.message).toBe(
      CAPTCHA_MESSAGES.en.captcha_required,
    );
    const italian = await post('it-IT').send({}).expect(403);
    expect(italian.body.message).toBe('Completa la verifica per continuare.');
    expect(italian.headers['content-language']).toBe('it');
  });
});
