import { Controller, HttpCode, INestApplication, Post } from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import { RequireCaptcha, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { FaultyUpstream } from '../support/faulty-upstream';

// reCAPTCHA v3 → reCAPTCHA v2 checkbox (README: Step-up): the same provider with two key pairs.
// The step-up target `recaptcha-v2` is a second reCAPTCHA verifier with the v2 keys; its
// challenge names the `recaptcha` widget in checkbox mode, and the client states `recaptcha-v2`
// with the answer so the guard verifies it with the v2 secret.

@Controller()
class SignupController {
  @Post('signup')
  @HttpCode(200)
  @RequireCaptcha({ action: 'signup', minScore: 0.5, stepUp: 'recaptcha-v2' })
  signup() {
    return { ok: true };
  }

  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', minScore: 0.5 })
  login() {
    return { ok: true };
  }
}

@Controller()
class V2StepUpWithoutKeysController {
  @Post('signup')
  @RequireCaptcha({ action: 'signup', minScore: 0.5, stepUp: 'recaptcha-v2' })
  signup() {
    return {};
  }
}

const V2 = FakeCaptchaServer.recaptchaV2Keys;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('step-up from reCAPTCHA v3 to the reCAPTCHA v2 checkbox', () => {
    let fake: FakeCaptchaServer;
    let registry: Registry;
    let app: INestApplication;
    let ipCounter = 0;
    const http = () => request(app.getHttpServer());
    const nextIp = () => `203.0.113.${++ipCounter}`;

    const options = (): CaptchaModuleOptions => ({
      provider: 'recaptcha',
      siteKey: FakeCaptchaServer.siteKeys.recaptcha,
      secretKey: FakeCaptchaServer.secrets.recaptcha,
      verifyUrl: fake.verifyUrl('recaptcha'),
      // No verifyUrl of its own: the checkbox is verified at the primary reCAPTCHA's URL.
      stepUp: { provider: 'recaptcha-v2', siteKey: V2.siteKey, secretKey: V2.secret },
      trustProxy: 'loopback',
    });

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      registry = new Registry();
      app = await createCaptchaApp(
        { ...options(), metrics: 'prometheus', metricsRegistry: registry },
        [SignupController],
        adapter,
      );
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    /** A v3 token (the production key pair, scored) as the invisible proof. */
    const v3Token = (score: number, action = 'signup') =>
      fake.issueToken({ provider: 'recaptcha', action, score });
    /** A token of the v2 checkbox key pair, as its widget hands it out. */
    const v2Token = () => fake.issueToken({ provider: 'recaptcha', siteKey: V2.siteKey });
    const invisible = (ip: string, token: string, path = '/signup') =>
      http().post(path).set('x-forwarded-for', ip).send({ captchaToken: token });
    const checkbox = (ip: string, token: string, stated = 'recaptcha-v2', path = '/signup') =>
      http()
        .post(path)
        .set('x-forwarded-for', ip)
        .send({ captcha: { provider: stated, token } });

    it('names the recaptcha checkbox with the v2 site key, then accepts a v2 token once', async () => {
      const ip = nextIp();
      const low = await invisible(ip, v3Token(0.1)).expect(403);
      expect(low.body).toEqual({
        statusCode: 403,
        error: 'captcha_required',
        message: expect.any(String),
        details: {
          provider: 'recaptcha',
          site_key: V2.siteKey,
          action: 'signup',
          recaptcha_mode: 'checkbox',
          answer_as: 'recaptcha-v2',
          step_up: true,
          reason: 'score_too_low',
        },
      });
      const token = v2Token();
      await checkbox(ip, token).expect(200);
      // The v2 secret verified it: the fake saw the step-up's secret, not the primary's.
      const secrets = fake.requests.slice(-1).map((r) => r.form?.secret);
      expect(secrets).toEqual([V2.secret]);
      const replay = await checkbox(ip, token).expect(403);
      expect(replay.body.details).toMatchObject({ code: 'step_up_not_granted' });
    });

    it('refuses a v3 token as the checkbox answer, however high its score', async () => {
      const ip = nextIp();
      await invisible(ip, v3Token(0.1)).expect(403);
      const res = await checkbox(ip, v3Token(0.9)).expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_invalid',
        details: { reason: 'invalid', provider: 'recaptcha', site_key: V2.siteKey },
      });
    });

    it('refuses a scored (v3) success from the checkbox verifier, even if the provider passed it', async () => {
      const ip = nextIp();
      await invisible(ip, v3Token(0.1)).expect(403);
      // Google never answers a v2 secret with a score; were it to, that reply is no checkbox.
      const scored = { success: true, score: 0.9, action: 'signup', hostname: 'localhost' };
      fake.fault('recaptcha', { status: 200, body: JSON.stringify(scored), times: 1 });
      const res = await checkbox(ip, v2Token()).expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_invalid',
        details: { reason: 'invalid', provider: 'recaptcha', site_key: V2.siteKey },
      });
    });

    it('refuses a v2 checkbox token as the v3 proof, stated or not, and grants nothing', async () => {
      const ip = nextIp();
      const unstated = await invisible(ip, v2Token()).expect(403);
      expect(unstated.body).toMatchObject({
        error: 'captcha_invalid',
        details: {
          reason: 'invalid',
          provider: 'recaptcha',
          site_key: FakeCaptchaServer.siteKeys.recaptcha,
        },
      });
      expect(unstated.body.details.step_up).toBeUndefined();
      // An older client stating `recaptcha` for the checkbox answer: verified as v3, refused.
      await invisible(ip, v3Token(0.1)).expect(403);
      const asV3 = await checkbox(ip, v2Token(), 'recaptcha').expect(403);
      expect(asV3.body.details).toMatchObject({ reason: 'invalid', provider: 'recaptcha' });
      // The grant is still there for the right answer.
      await checkbox(ip, v2Token()).expect(200);
    });

    it('refuses a checkbox answer without a low score first, before any provider call', async () => {
      const calls = fake.requests.length;
      const res = await checkbox(nextIp(), v2Token()).expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_invalid',
        details: { reason: 'invalid', code: 'step_up_not_granted', provider: 'recaptcha' },
      });
      expect(fake.requests.length).toBe(calls);
    });

    it('binds the grant to the action it was granted for', async () => {
      const ip = nextIp();
      await invisible(ip, v3Token(0.1)).expect(403);
      // /login steps up too (the module's default), but nothing was granted for it.
      const res = await checkbox(ip, v2Token(), 'recaptcha-v2', '/login').expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_invalid',
        details: { code: 'step_up_not_granted', action: 'login' },
      });
      await checkbox(ip, v2Token()).expect(200);
    });

    it('lets exactly one of two parallel checkbox answers spend one grant', async () => {
      const ip = nextIp();
      await invisible(ip, v3Token(0.1)).expect(403);
      const answers = await Promise.all([
        checkbox(ip, v2Token()),
        checkbox(ip, v2Token()),
        checkbox(ip, v2Token()),
      ]);
      expect(answers.map((res) => res.status).sort()).toEqual([200, 403, 403]);
    });

    it('passes a high v3 score without a step-up', async () => {
      await invisible(nextIp(), v3Token(0.9)).expect(200);
    });

    it('labels the checkbox verifications recaptcha-v2 in the metrics', async () => {
      const ip = nextIp();
      await invisible(ip, v3Token(0.1)).expect(403);
      await checkbox(ip, v2Token()).expect(200);
      const text = await registry.metrics();
      expect(text).toMatch(
        /captcha_verifications_total\{provider="recaptcha-v2",action="signup",outcome="success"\} [1-9]/,
      );
      expect(text).toMatch(
        /captcha_verifications_total\{provider="recaptcha",action="signup",outcome="score_too_low"\} [1-9]/,
      );
    });
  });

  describe('the checkbox verifier has a circuit of its own', () => {
    let fake: FakeCaptchaServer;
    let upstream: FaultyUpstream;
    let app: INestApplication;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      upstream = await FaultyUpstream.start(Number(new URL(fake.url).port), 'refused');
      app = await createCaptchaApp(
        {
          provider: 'recaptcha',
          siteKey: FakeCaptchaServer.siteKeys.recaptcha,
          secretKey: FakeCaptchaServer.secrets.recaptcha,
          verifyUrl: fake.verifyUrl('recaptcha'),
          stepUp: {
            provider: 'recaptcha-v2',
            siteKey: V2.siteKey,
            secretKey: V2.secret,
            // The step-up's endpoint is down; the primary's is not.
            verifyUrl: upstream.url('/recaptcha/api/siteverify'),
          },
          circuitBreaker: { threshold: 2, halfOpenAfterMs: 60_000 },
          trustProxy: 'loopback',
        },
        [SignupController],
        adapter,
      );
    });
    afterAll(async () => {
      await app.close();
      await upstream.close();
      await fake.close();
    });

    it('answers 503 naming the recaptcha widget while the v3 check keeps working', async () => {
      const http = () => request(app.getHttpServer());
      let retryAfter = 0;
      for (let i = 0; i < 3; i++) {
        const ip = `198.51.100.${i + 1}`;
        const low = fake.issueToken({ provider: 'recaptcha', action: 'signup', score: 0.1 });
        await http()
          .post('/signup')
          .set('x-forwarded-for', ip)
          .send({ captchaToken: low })
          .expect(403);
        const token = fake.issueToken({ provider: 'recaptcha', siteKey: V2.siteKey });
        const res = await http()
          .post('/signup')
          .set('x-forwarded-for', ip)
          .send({ captcha: { provider: 'recaptcha-v2', token } })
          .expect(503);
        expect(res.body).toMatchObject({
          error: 'captcha_unavailable',
          details: { provider: 'recaptcha' },
        });
        retryAfter = Number(res.headers['retry-after']);
      }
      // Two outages opened the checkbox's circuit (Retry-After: its 60 s half-open wait)…
      expect(retryAfter).toBeGreaterThan(30);
      // …and the primary (v3) circuit is its own: a good score still passes.
      const high = fake.issueToken({ provider: 'recaptcha', action: 'signup', score: 0.9 });
      await http()
        .post('/signup')
        .set('x-forwarded-for', '198.51.100.9')
        .send({ captchaToken: high })
        .expect(200);
    });
  });

  it('stops start-up when a route steps up to recaptcha-v2 without its keys registered', async () => {
    const fake = await FakeCaptchaServer.start();
    try {
      await expect(
        createCaptchaApp(
          {
            provider: 'recaptcha',
            siteKey: FakeCaptchaServer.siteKeys.recaptcha,
            secretKey: FakeCaptchaServer.secrets.recaptcha,
            verifyUrl: fake.verifyUrl('recaptcha'),
          },
          [V2StepUpWithoutKeysController],
          adapter,
        ),
      ).rejects.toThrow(
        'signup: @RequireCaptcha({ stepUp }) names recaptcha-v2, which is not registered (stepUp, providers or fallback)',
      );
    } finally {
      await fake.close();
    }
  });
});
