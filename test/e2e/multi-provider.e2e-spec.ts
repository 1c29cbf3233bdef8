import { Controller, HttpCode, INestApplication, Post } from '@nestjs/common';
import request from 'supertest';
import { CaptchaResult, RequireCaptcha, type CaptchaVerification } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';

@Controller()
class ClientsController {
  @Post('web')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', provider: ['turnstile', 'recaptcha'] })
  web(@CaptchaResult() captcha: CaptchaVerification) {
    return { provider: captcha.provider, success: captcha.success };
  }

  @Post('legacy')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', provider: 'recaptcha', minScore: 0.5 })
  legacy(@CaptchaResult() captcha: CaptchaVerification) {
    return { provider: captcha.provider, score: captcha.score };
  }

  @Post('default')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  byDefault(@CaptchaResult() captcha: CaptchaVerification) {
    return { provider: captcha.provider };
  }
}

@Controller()
class MiswiredController {
  @Post('miswired')
  @RequireCaptcha({ action: 'login', provider: 'hcaptcha' })
  miswired() {
    return {};
  }
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('several providers in one module', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;
    const http = () => request(app.getHttpServer());

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      app = await createCaptchaApp(
        {
          provider: 'turnstile',
          siteKey: FakeCaptchaServer.siteKeys.turnstile,
          secretKey: FakeCaptchaServer.secrets.turnstile,
          verifyUrl: fake.verifyUrl('turnstile'),
          providers: [
            {
              provider: 'recaptcha',
              siteKey: FakeCaptchaServer.siteKeys.recaptcha,
              secretKey: FakeCaptchaServer.secrets.recaptcha,
              verifyUrl: fake.verifyUrl('recaptcha'),
            },
          ],
        },
        [ClientsController],
        adapter,
      );
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    const lastProviderCalled = () => fake.requests[fake.requests.length - 1].provider;

    it('names the route’s preferred provider in challenges', async () => {
      const web = await http().post('/web').send({}).expect(403);
      expect(web.body.details).toEqual({
        provider: 'turnstile',
        site_key: FakeCaptchaServer.siteKeys.turnstile,
        action: 'login',
      });
      const legacy = await http().post('/legacy').send({}).expect(403);
      expect(legacy.body.details).toEqual({
        provider: 'recaptcha',
        site_key: FakeCaptchaServer.siteKeys.recaptcha,
        action: 'login',
      });
    });

    it('verifies with the provider the client states, when the route accepts it', async () => {
      const token = fake.issueToken({ provider: 'recaptcha', action: 'login', score: 0.9 });
      const res = await http()
        .post('/web')
        .send({ captcha: { provider: 'recaptcha', token } })
        .expect(200);
      expect(res.body).toEqual({ provider: 'recaptcha', success: true });
      expect(lastProviderCalled()).toBe('recaptcha');

      const turnstile = fake.issueToken({ provider: 'turnstile', action: 'login' });
      await http().post('/web').send({ 'cf-turnstile-response': turnstile }).expect(200);
      expect(lastProviderCalled()).toBe('turnstile');
    });

    it('refuses a provider the route does not accept, naming the one to use, without a provider call', async () => {
      const calls = fake.requests.length;
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      const res = await http()
        .post('/legacy')
        .send({ captcha: { provider: 'turnstile', token } })
        .expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_required',
        details: { provider: 'recaptcha' },
      });
      const unknown = await http()
        .post('/default')
        .send({ captcha: { provider: 'recaptcha', token } })
        .expect(403);
      expect(unknown.body.details.provider).toBe('turnstile');
      expect(fake.requests.length).toBe(calls);
    });

    it('uses the route’s provider when the client does not say, with its own policy', async () => {
      const low = fake.issueToken({ provider: 'recaptcha', action: 'login', score: 0.2 });
      const res = await http().post('/legacy').send({ captchaToken: low }).expect(403);
      expect(res.body.details).toMatchObject({ provider: 'recaptcha', reason: 'score_too_low' });
      const good = fake.issueToken({ provider: 'recaptcha', action: 'login', score: 0.8 });
      expect((await http().post('/legacy').send({ captchaToken: good }).expect(200)).body).toEqual({
        provider: 'recaptcha',
        score: 0.8,
      });
    });

    it('stops start-up when a route names a provider that is not registered', async () => {
      await expect(
        createCaptchaApp(
          { provider: 'altcha', altcha: { hmacKey: 'k'.repeat(32) } },
          [MiswiredController],
          adapter,
        ),
      ).rejects.toThrow(
        /MiswiredController\.miswired: @RequireCaptcha\(\{ provider \}\) names hcaptcha/,
      );
    });
  });
});
