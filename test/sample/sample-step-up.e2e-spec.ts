import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { AppModule } from '../../sample/app.module';
import { ADAPTERS, startApp, type HttpAdapterName } from '../support/create-app';
import {
  FAKE_PROVIDER_ORIGIN,
  readStepUpProfile,
  stepUpProfileFor,
} from '../support/step-up-profile';

// The sample's step-up profile (sample/step-up.env, `npm run sample:step-up`): reCAPTCHA v3 with a
// step-up to the v2 checkbox, against `npx nestjs-captcha fake-provider` on its default port.

const SAMPLE_VARIABLES = [
  'CAPTCHA_PROVIDER',
  'CAPTCHA_SITE_KEY',
  'CAPTCHA_SECRET_KEY',
  'CAPTCHA_VERIFY_URL',
  'CAPTCHA_STEP_UP_PROVIDER',
  'CAPTCHA_STEP_UP_SITE_KEY',
  'CAPTCHA_STEP_UP_SECRET_KEY',
  'SAMPLE_WIDGET_SCRIPT_URL',
];

async function bootSample(
  adapter: HttpAdapterName,
  env: Record<string, string>,
): Promise<INestApplication> {
  for (const name of SAMPLE_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    return await startApp(moduleRef, adapter);
  } finally {
    for (const name of SAMPLE_VARIABLES) delete process.env[name];
  }
}

function pageData(html: string): Record<string, unknown> {
  const match = /<script id="captcha-config" type="application\/json">(.*?)<\/script>/s.exec(html);
  if (!match) throw new Error('no #captcha-config block');
  return JSON.parse(match[1]) as Record<string, unknown>;
}

describe('sample/step-up.env', () => {
  it('points at the fake provider’s default port with the fake’s own keys', () => {
    const env = readStepUpProfile();
    expect(env).toEqual({
      CAPTCHA_PROVIDER: 'recaptcha',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.recaptcha,
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.recaptcha,
      CAPTCHA_VERIFY_URL: `${FAKE_PROVIDER_ORIGIN}/recaptcha/api/siteverify`,
      CAPTCHA_STEP_UP_PROVIDER: 'recaptcha-v2',
      CAPTCHA_STEP_UP_SITE_KEY: FakeCaptchaServer.recaptchaV2Keys.siteKey,
      CAPTCHA_STEP_UP_SECRET_KEY: FakeCaptchaServer.recaptchaV2Keys.secret,
      SAMPLE_WIDGET_SCRIPT_URL: `${FAKE_PROVIDER_ORIGIN}/recaptcha/api.js?interactive=1&score=0.1`,
    });
  });
});

describe.each(ADAPTERS)('%s: the sample on its step-up profile', (adapter) => {
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());
  const WRONG = { email: 'demo@example.com', password: 'wrong' };
  const RIGHT = { email: 'demo@example.com', password: 'correct-horse' };

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    const env = stepUpProfileFor(fake);
    // The profile's paths are the fake's real ones.
    expect(env.CAPTCHA_VERIFY_URL).toBe(fake.verifyUrl('recaptcha'));
    expect(env.SAMPLE_WIDGET_SCRIPT_URL).toBe(
      fake.widgetScriptUrl('recaptcha', { score: 0.1, interactive: true }),
    );
    app = await bootSample(adapter, env);
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  it('serves a page that runs reCAPTCHA v3 first', async () => {
    const html = (await http().get('/').expect(200)).text;
    expect(pageData(html)).toMatchObject({
      recaptchaMode: 'score',
      scriptUrls: { recaptcha: `${fake.url}/recaptcha/api.js?interactive=1&score=0.1` },
    });
  });

  it('after three failed sign-ins, steps a low v3 score up to the v2 checkbox, then signs in', async () => {
    const ip = '198.51.100.77';
    for (let i = 0; i < 3; i++) {
      await http().post('/auth/login').set('x-forwarded-for', ip).send(WRONG).expect(401);
    }
    // Sample apps trust no proxy: every request comes from the loopback socket.
    const low = fake.issueToken({ provider: 'recaptcha', action: 'login', score: 0.1 });
    const stepUp = await http()
      .post('/auth/login')
      .send({ ...RIGHT, captcha: { provider: 'recaptcha', token: low } })
      .expect(403);
    expect(stepUp.body).toMatchObject({
      error: 'captcha_required',
      details: {
        provider: 'recaptcha',
        site_key: FakeCaptchaServer.recaptchaV2Keys.siteKey,
        recaptcha_mode: 'checkbox',
        answer_as: 'recaptcha-v2',
        step_up: true,
        reason: 'score_too_low',
      },
    });
    const checkbox = fake.issueToken({
      provider: 'recaptcha',
      siteKey: FakeCaptchaServer.recaptchaV2Keys.siteKey,
    });
    const res = await http()
      .post('/auth/login')
      .send({ ...RIGHT, captcha: { provider: 'recaptcha-v2', token: checkbox } })
      .expect(200);
    expect(res.body).toEqual({
      signedIn: true,
      email: RIGHT.email,
      captcha: { provider: 'recaptcha-v2', success: true },
    });
  });
});

describe('the sample on its defaults', () => {
  it('keeps the page as it was: no reCAPTCHA mode', async () => {
    const app = await bootSample('express', {});
    try {
      const html = (await request(app.getHttpServer()).get('/').expect(200)).text;
      expect(pageData(html).recaptchaMode).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
