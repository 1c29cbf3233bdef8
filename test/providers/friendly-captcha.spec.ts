// What only Friendly Captcha does. The siteverify contract shared by all remote providers
// (keys, outages, replays, expiry, hostnames, tokens never sent) runs per provider in
// siteverify-contract.spec.ts.
import type { INestApplication } from '@nestjs/common';
import { type CaptchaReason, type CaptchaVerifier } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import request from 'supertest';
import { createCaptchaApp } from '../support/create-app';
import { hostRecordingDispatcher } from '../support/host-recording-dispatcher';
import { unavailable } from '../support/expect-unavailable';
import { PolicyRoutesController } from '../support/policy-routes.controller';
import { providerFixture } from '../support/provider-fixture';

const API_KEY = FakeCaptchaServer.secrets['friendly-captcha'];
const SITE_KEY = FakeCaptchaServer.siteKeys['friendly-captcha'];
const WRONG_KEY = 'A1WRONGKEYDONOTLEAKTHIS000000000';

/** A v2 failure as Friendly Captcha sends it, for codes and statuses the fake decides itself. */
const v2Failure = (code: string) =>
  JSON.stringify({ success: false, error: { error_code: code, detail: 'human text' } });
const v1Failure = (...codes: string[]) => JSON.stringify({ success: false, errors: codes });

describe('Friendly Captcha provider', () => {
  const fx = providerFixture('friendly-captcha');
  const { options, build, lastRequest } = fx;
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  beforeAll(() => ({ fake, verifier } = fx));

  const v1 = () =>
    build({ friendlyCaptchaVersion: 1, verifyUrl: fake.endpointUrl('friendly-captcha', 'v1') });

  const token = (hostname = 'localhost') =>
    fake.issueToken({ provider: 'friendly-captcha', hostname });
  const solution = () => fake.issueToken({ provider: 'friendly-captcha', version: 1 });

  describe('v2 success', () => {
    it('accepts a token and reports the origin host and the challenge time', async () => {
      const issuedAt = Date.now();
      const v = await verifier.verify(token('app.example.com'), { action: 'signup' });
      expect(v).toEqual({
        success: true,
        provider: 'friendly-captcha',
        hostname: 'app.example.com',
        challengeTs: expect.any(Date),
        errorCodes: [],
        httpStatus: 200,
        latencyMs: expect.any(Number),
      });
      // Friendly Captcha has no action and no score: neither is checked.
      expect(v.challengeTs!.getTime()).toBeGreaterThan(issuedAt - 1000);
    });

    it.each([
      ['https://app.example.com:8443', 'app.example.com'],
      ['http://App.Example.com', 'app.example.com'],
      ['https://[2001:db8::1]:443', '2001:db8::1'],
    ])('strips scheme and port from the origin %s', async (origin, hostname) => {
      fake.fault('friendly-captcha', {
        status: 200,
        body: JSON.stringify({ success: true, data: { challenge: { origin, timestamp: '' } } }),
        times: 1,
      });
      const relaxed = await build();
      expect(await relaxed.verify(token())).toMatchObject({ success: true, hostname });
    });

    it('fails an empty origin when hostnames are expected, passes it otherwise', async () => {
      const empty = token('');
      expect(await verifier.verify(empty)).toMatchObject({
        success: false,
        reason: 'hostname_mismatch',
      });
      const relaxed = await build();
      const v = await relaxed.verify(token(''));
      expect(v.success).toBe(true);
      expect(v.hostname).toBeUndefined();
    });

    it('reads a success without data as a pass without hostname', async () => {
      fake.fault('friendly-captcha', { status: 200, body: '{"success":true}', times: 1 });
      const relaxed = await build();
      expect(await relaxed.verify(token())).toMatchObject({ success: true, errorCodes: [] });
    });
  });

  describe('v2 wire format', () => {
    it('posts JSON {response, sitekey} with X-API-Key to /api/v2/captcha/siteverify', async () => {
      const t = token();
      await verifier.verify(t, { remoteIp: '203.0.113.7' });
      const sent = lastRequest();
      expect(sent).toMatchObject({
        provider: 'friendly-captcha',
        method: 'POST',
        path: '/api/v2/captcha/siteverify',
        url: '/api/v2/captcha/siteverify',
      });
      expect(sent.contentType).toBe('application/json');
      expect(sent.headers['x-api-key']).toBe(API_KEY);
      // Exactly these fields: the key travels in the header only, and v2 takes no remote IP.
      expect(JSON.parse(sent.rawBody)).toEqual({ response: t, sitekey: SITE_KEY });
    });
  });

  describe('v2 error codes', () => {
    it('throws misconfigured on a site key the account does not have (sitekey_invalid)', async () => {
      const bad = await build({ siteKey: 'FCMSOMEONEELSE' });
      const error = await unavailable(bad.verify(token()));
      expect(error).toMatchObject({
        kind: 'misconfigured',
        details: { errorCodes: ['sitekey_invalid'] },
      });
    });

    it('reads an unknown code on a 4xx as misconfigured (a refused request), not an outage nor a verdict', async () => {
      fake.fault('friendly-captcha', { status: 418, body: v2Failure('teapot'), times: 1 });
      const error = await unavailable(verifier.verify(token()));
      expect(error).toMatchObject({
        kind: 'misconfigured',
        details: { status: 418, errorCodes: ['teapot'] },
      });
    });

    it.each([
      ['a string success', 200, '{"success":"true"}'],
      ['an HTML page', 200, '<html>oops</html>'],
      ['a JSON array', 200, '[true]'],
    ])('treats %s as a bad_response outage, never a pass', async (_what, status, body) => {
      fake.fault('friendly-captcha', { status, body, times: 1 });
      const error = await unavailable(verifier.verify(token()));
      expect(error.kind).toBe('bad_response');
    });

    it.each([
      ['success:true on HTTP 401', 401, '{"success":true}'],
      ['an HTML page on HTTP 400', 400, '<html>Bad Request</html>'],
    ])('treats %s as misconfigured, never a pass nor an outage', async (_what, status, body) => {
      fake.fault('friendly-captcha', { status, body, times: 1 });
      const error = await unavailable(verifier.verify(token()));
      expect(error.kind).toBe('misconfigured');
    });

    it('fails closed as invalid on a failure without an error object', async () => {
      fake.fault('friendly-captcha', { status: 200, body: '{"success":false}', times: 1 });
      expect(await verifier.verify(token())).toMatchObject({ reason: 'invalid', errorCodes: [] });
    });
  });

  describe('v1 (friendlyCaptchaVersion: 1)', () => {
    it('posts JSON {solution, secret, sitekey} to /api/v1/siteverify without X-API-Key', async () => {
      const legacy = await v1();
      const s = solution();
      const v = await legacy.verify(s);
      expect(v).toEqual({
        success: true,
        provider: 'friendly-captcha',
        errorCodes: [],
        httpStatus: 200,
        latencyMs: expect.any(Number),
      });
      const sent = lastRequest();
      expect(sent).toMatchObject({ method: 'POST', path: '/api/v1/siteverify' });
      expect(sent.contentType).toBe('application/json');
      expect(sent.headers['x-api-key']).toBeUndefined();
      expect(JSON.parse(sent.rawBody)).toEqual({ solution: s, secret: API_KEY, sitekey: SITE_KEY });
    });

    it.each<[string, number, CaptchaReason]>([
      ['solution_missing', 400, 'malformed'],
      ['solution_invalid', 200, 'invalid'],
      ['solution_timeout_or_duplicate', 200, 'duplicate'],
    ])('maps %s (HTTP %i) to %s', async (code, status, reason) => {
      const legacy = await v1();
      fake.fault('friendly-captcha', { status, body: v1Failure(code), times: 1 });
      expect(await legacy.verify(solution())).toMatchObject({
        success: false,
        reason,
        errorCodes: [code],
      });
    });

    it.each<[string, number]>([
      ['secret_missing', 400],
      ['secret_invalid', 401],
      ['bad_request', 400],
    ])('throws misconfigured for %s (HTTP %i)', async (code, status) => {
      const legacy = await v1();
      fake.fault('friendly-captcha', { status, body: v1Failure(code), times: 1 });
      const error = await unavailable(legacy.verify(solution()));
      expect(error).toMatchObject({ kind: 'misconfigured', details: { errorCodes: [code] } });
    });

    it('gets secret_invalid from the fake for a wrong key, and the token survives', async () => {
      const bad = await build({
        friendlyCaptchaVersion: 1,
        verifyUrl: fake.endpointUrl('friendly-captcha', 'v1'),
        secretKey: WRONG_KEY,
      });
      const s = solution();
      const error = await unavailable(bad.verify(s));
      expect(error).toMatchObject({
        kind: 'misconfigured',
        details: { errorCodes: ['secret_invalid'] },
      });
      expect(lastRequest().path).toBe('/api/v1/siteverify');
      expect(error.message).not.toContain(WRONG_KEY);
      expect((await (await v1()).verify(s)).success).toBe(true);
    });

    it('answers solution_timeout_or_duplicate for a reused or expired solution, solution_invalid for a v2 token', async () => {
      const legacy = await v1();
      const other = await v1();
      const used = solution();
      expect((await other.verify(used)).success).toBe(true);
      expect(await legacy.verify(used)).toMatchObject({
        reason: 'duplicate',
        errorCodes: ['solution_timeout_or_duplicate'],
      });
      expect(await legacy.verify(token())).toMatchObject({
        reason: 'invalid',
        errorCodes: ['solution_invalid'],
      });
      const late = solution();
      fake.advanceClock(601_000);
      expect(await legacy.verify(late)).toMatchObject({
        errorCodes: ['solution_timeout_or_duplicate'],
      });
    });
  });

  describe('default endpoints (no traffic leaves the machine)', () => {
    it.each<[1 | 2, string]>([
      [2, 'global.frcapi.com'],
      [1, 'api.friendlycaptcha.com'],
    ])('v%i calls %s by default', async (friendlyCaptchaVersion, host) => {
      const recorder = hostRecordingDispatcher();
      const defaults = await build({
        friendlyCaptchaVersion,
        verifyUrl: undefined,
        dispatcher: recorder.dispatcher,
      });
      const error = await unavailable(defaults.verify(token()));
      expect(error.kind).toBe('network');
      expect(recorder.hosts[0]).toBe(host);
    });
  });

  describe('outages', () => {
    describe('guard policy: strict (closed) by default, fail-open where the route says so', () => {
      let app: INestApplication;

      beforeAll(async () => {
        app = await createCaptchaApp(options({ logDecisions: false }), [PolicyRoutesController]);
      });
      afterAll(() => app.close());

      it.each([
        ['a 503 twice', { status: 503, times: 2 }],
        ['a timeout', { hang: true, times: 1 }],
      ])(
        'answers 503 on a closed route and lets an open route through on %s',
        async (_what, fault) => {
          fake.fault('friendly-captcha', fault);
          const closed = await request(app.getHttpServer())
            .post('/login')
            .send({ 'frc-captcha-response': token() })
            .expect(503);
          expect(closed.body).toMatchObject({
            error: 'captcha_unavailable',
            details: { provider: 'friendly-captcha', fallback: null },
          });
          fake.clearFaults();
          fake.fault('friendly-captcha', fault);
          const open = await request(app.getHttpServer())
            .post('/comment')
            .send({ 'frc-captcha-response': token() })
            .expect(200);
          expect(open.body.captcha).toMatchObject({
            success: false,
            degraded: true,
            reason: 'provider_unavailable',
            provider: 'friendly-captcha',
          });
        },
      );

      it('reads the v1 widget field frc-captcha-solution too', async () => {
        const res = await request(app.getHttpServer())
          .post('/login')
          .send({ 'frc-captcha-solution': token() })
          .expect(200);
        expect(res.body.captcha).toMatchObject({ success: true, provider: 'friendly-captcha' });
      });

      it('passes a good token from the frc-captcha-response field', async () => {
        const res = await request(app.getHttpServer())
          .post('/login')
          .send({ 'frc-captcha-response': token() })
          .expect(200);
        expect(res.body.captcha).toMatchObject({ success: true, provider: 'friendly-captcha' });
      });
    });
  });
});
