import type { INestApplication } from '@nestjs/common';
import { Controller, HttpCode, Post } from '@nestjs/common';
import request from 'supertest';
import { createChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { CaptchaVerifier, RequireCaptcha, type AltchaChallenge } from 'nestjs-captcha';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { FAST_ALTCHA, solveAltcha } from '../support/solve-altcha';

@Controller()
class SignupController {
  @Post('signup')
  @HttpCode(201)
  @RequireCaptcha({ action: 'signup' })
  signup() {
    return { created: true };
  }
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const decode = (payload: string) => JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('ALTCHA provider (self-hosted, altcha-lib 2)', () => {
    let app: INestApplication;
    let verifier: CaptchaVerifier;

    beforeAll(async () => {
      app = await createCaptchaApp(
        { provider: 'altcha', altcha: { ...FAST_ALTCHA, expiresInSeconds: 60 } },
        [SignupController],
        adapter,
      );
      verifier = app.get(CaptchaVerifier);
    });
    afterAll(() => app.close());

    /** A challenge for `action`, or for calls that expect none. */
    const challenge = async (action?: string): Promise<AltchaChallenge> =>
      (
        await request(app.getHttpServer())
          .get('/captcha/challenge')
          .query(action === undefined ? {} : { action })
          .expect(200)
      ).body;

    it('serves a signed, expiring v2 challenge that is never cached', async () => {
      const res = await request(app.getHttpServer())
        .get('/captcha/challenge?action=login')
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.parameters).toMatchObject({ algorithm: 'SHA-256', cost: 1 });
      expect(res.body.signature).toMatch(/^[0-9a-f]{64}$/);
      const now = Math.floor(Date.now() / 1000);
      expect(res.body.parameters.expiresAt).toBeGreaterThan(now + 50);
      expect(res.body.parameters.expiresAt).toBeLessThanOrEqual(now + 61);
    });

    it('tells the client where to fetch the challenge when it demands one', async () => {
      const res = await request(app.getHttpServer()).post('/signup').send({}).expect(403);
      expect(res.body.details).toEqual({
        provider: 'altcha',
        site_key: null,
        action: 'signup',
        challenge_url: '/captcha/challenge?action=signup',
      });
    });

    it('signs the requested action into the challenge, and an action-less one without', async () => {
      const forSignup = await challenge('signup');
      expect(forSignup.parameters.data).toEqual({ action: 'signup' });
      expect((await challenge()).parameters.data).toBeUndefined();
    });

    it('answers 400 for an action that is not an action name', async () => {
      for (const action of ['', 'a b', 'x'.repeat(101), 'é']) {
        const res = await request(app.getHttpServer())
          .get('/captcha/challenge')
          .query({ action })
          .expect(400);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body).toMatchObject({ statusCode: 400, error: 'bad_request' });
      }
    });

    it('refuses a payload solved for another action before claiming it: it stays good for its own', async () => {
      const payload = await solveAltcha(await challenge('signup'));
      expect(await verifier.verify(payload, { action: 'login' })).toMatchObject({
        success: false,
        reason: 'action_mismatch',
        action: 'signup',
      });
      expect(await verifier.verify(payload)).toMatchObject({
        success: false,
        reason: 'action_mismatch',
      });
      expect(await verifier.verify(payload, { action: 'signup' })).toMatchObject({
        success: true,
        action: 'signup',
      });
    });

    it('refuses a challenge without action where an action is expected', async () => {
      const payload = await solveAltcha(await challenge());
      expect(await verifier.verify(payload, { action: 'signup' })).toMatchObject({
        success: false,
        reason: 'action_mismatch',
      });
      expect((await verifier.verify(payload)).success).toBe(true);
    });

    it('refuses a challenge signed without expiry', async () => {
      const forever = await createChallenge({
        algorithm: 'SHA-256',
        cost: 1,
        counter: 60,
        deriveKey,
        hmacSignatureSecret: FAST_ALTCHA.hmacKey,
      });
      expect(await verifier.verify(await solveAltcha(forever))).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['no-expiry'],
      });
    });

    it('accepts a solved challenge posted in the widget field, once', async () => {
      const payload = await solveAltcha(await challenge('signup'));
      await request(app.getHttpServer()).post('/signup').send({ altcha: payload }).expect(201);
      const replay = await request(app.getHttpServer())
        .post('/signup')
        .send({ altcha: payload })
        .expect(403);
      expect(replay.body.details.reason).toBe('duplicate');
    });

    it('refuses a re-encoded copy of a used solution (the claim is on the nonce)', async () => {
      const payload = await solveAltcha(await challenge());
      expect((await verifier.verify(payload)).success).toBe(true);
      const reordered = decode(payload);
      const copy = Buffer.from(
        JSON.stringify({ solution: reordered.solution, challenge: reordered.challenge }, null, 1),
      ).toString('base64');
      expect(copy).not.toBe(payload);
      expect(await verifier.verify(copy)).toMatchObject({ success: false, reason: 'duplicate' });
    });

    it('refuses tampered parameters (signature mismatch)', async () => {
      const payload = decode(await solveAltcha(await challenge()));
      payload.challenge.parameters.cost = 2;
      expect(await verifier.verify(encode(payload))).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['invalid-signature'],
      });
    });

    it('refuses a wrong counter', async () => {
      const payload = decode(await solveAltcha(await challenge()));
      payload.solution.counter += 1;
      payload.solution.derivedKey = 'ff'.repeat(32);
      expect(await verifier.verify(encode(payload))).toMatchObject({
        success: false,
        reason: 'invalid',
      });
    });

    it('refuses a challenge signed with another HMAC key', async () => {
      const foreign = await createChallenge({
        algorithm: 'SHA-256',
        cost: 1,
        counter: 60,
        deriveKey,
        expiresAt: Math.floor(Date.now() / 1000) + 60,
        hmacSignatureSecret: 'another-key',
      });
      expect(await verifier.verify(await solveAltcha(foreign))).toMatchObject({
        success: false,
        reason: 'invalid',
      });
    });

    it('refuses an expired challenge', async () => {
      const expired = await createChallenge({
        algorithm: 'SHA-256',
        cost: 1,
        counter: 60,
        deriveKey,
        expiresAt: Math.floor(Date.now() / 1000) - 1,
        hmacSignatureSecret: FAST_ALTCHA.hmacKey,
      });
      expect(await verifier.verify(await solveAltcha(expired))).toMatchObject({
        success: false,
        reason: 'expired',
      });
    });

    it.each([
      ['not base64 JSON', 'bm90IGpzb24='],
      ['JSON of the wrong shape', encode({ hello: 'world' })],
      [
        'a v1 payload',
        encode({
          algorithm: 'SHA-256',
          challenge: 'ab',
          number: 1,
          salt: 's',
          signature: 'x',
          took: 1,
        }),
      ],
      ['JSON null', encode(null)],
    ])('answers malformed for %s', async (_what, token) => {
      expect(await verifier.verify(token)).toMatchObject({ success: false, reason: 'malformed' });
    });

    it('answers invalid for an unknown algorithm instead of throwing', async () => {
      const payload = decode(await solveAltcha(await challenge()));
      payload.challenge.parameters.algorithm = 'MD5';
      expect(await verifier.verify(encode(payload))).toMatchObject({
        success: false,
        reason: 'invalid',
      });
    });
  });

  describe('ALTCHA challenge route options', () => {
    it('signs challenges that expire after 300 s by default', async () => {
      const app = await createCaptchaApp(
        { provider: 'altcha', altcha: FAST_ALTCHA },
        [SignupController],
        adapter,
      );
      const res = await request(app.getHttpServer()).get('/captcha/challenge?action=signup');
      const now = Math.floor(Date.now() / 1000);
      expect(res.body.parameters.expiresAt).toBeGreaterThan(now + 290);
      expect(res.body.parameters.expiresAt).toBeLessThanOrEqual(now + 301);
      await app.close();
    });

    it('serves the challenge on a configured path', async () => {
      const app = await createCaptchaApp(
        { provider: 'altcha', altcha: { ...FAST_ALTCHA, challengePath: '/api/altcha' } },
        [SignupController],
        adapter,
      );
      await request(app.getHttpServer()).get('/api/altcha').expect(200);
      const res = await request(app.getHttpServer()).post('/signup').send({}).expect(403);
      expect(res.body.details.challenge_url).toBe('/api/altcha?action=signup');
      await app.close();
    });

    it('serves no challenge when the path is false', async () => {
      const app = await createCaptchaApp(
        { provider: 'altcha', altcha: { ...FAST_ALTCHA, challengePath: false } },
        [SignupController],
        adapter,
      );
      await request(app.getHttpServer()).get('/captcha/challenge').expect(404);
      await app.close();
    });

    it('answers GET on the path only: other paths and methods get the app’s own 404', async () => {
      const app = await createCaptchaApp(
        { provider: 'altcha', altcha: { ...FAST_ALTCHA, challengePath: '/api/altcha' } },
        [SignupController],
        adapter,
      );
      const http = () => request(app.getHttpServer());
      await http().get('/api/altcha?lang=en').expect(200);
      for (const path of ['/api/altcha/x', '/api/altchax', '/api', '/captcha/challenge']) {
        const res = await http().get(path).expect(404);
        expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      }
      await http().post('/api/altcha').send({}).expect(404);
      await http().put('/api/altcha').send({}).expect(404);
      await app.close();
    });
  });
});
