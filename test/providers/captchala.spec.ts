// What only CaptchaLa does. The siteverify contract shared by all remote providers
// (keys, outages, replays, expiry, hostnames, tokens never sent) runs per provider in
// siteverify-contract.spec.ts.
import type { INestApplication } from '@nestjs/common';
import { type CaptchaVerifier } from 'nestjs-captcha';
import { FakeCaptchaServer, type FakeCaptchalaTokenKind } from 'nestjs-captcha/testing';
import request from 'supertest';
import { createCaptchaApp } from '../support/create-app';
import { unavailable } from '../support/expect-unavailable';
import { providerFixture } from '../support/provider-fixture';
import { hostRecordingDispatcher } from '../support/host-recording-dispatcher';
import { PolicyRoutesController } from '../support/policy-routes.controller';

const APP_KEY = FakeCaptchaServer.siteKeys.captchala;
const APP_SECRET = FakeCaptchaServer.secrets.captchala;
const WRONG_SECRET = 'wrong-captchala-secret-do-not-leak';

/** A validate answer as CaptchaLa sends it, for shapes the fake does not produce itself. */
const envelope = (fields: Record<string, unknown>) => JSON.stringify(fields);
const refusal = (error: string) => envelope({ code: 0, data: { valid: false, error } });

describe('CaptchaLa provider', () => {
  const fx = providerFixture('captchala', {
    extraOptions: (server) => ({
      captchala: { backupUrl: server.endpointUrl('captchala', 'backup') },
    }),
  });
  const { options, build, buildFrom, lastRequest } = fx;
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  beforeAll(() => ({ fake, verifier } = fx));

  const token = (
    risk = 10,
    action = 'login',
    hostname = 'localhost',
    captchalaKind: FakeCaptchalaTokenKind = 'pass',
  ) => fake.issueToken({ provider: 'captchala', score: risk, action, hostname, captchalaKind });

  describe('success', () => {
    it('accepts a pass token and reports action, referer host, score and solve time', async () => {
      const issuedAt = Date.now();
      const v = await verifier.verify(token(12, 'login', 'app.example.com'), {
        action: 'login',
        remoteIp: '203.0.113.7',
      });
      expect(v).toEqual({
        success: true,
        provider: 'captchala',
        action: 'login',
        hostname: 'app.example.com',
        score: 0.88,
        challengeTs: expect.any(Date),
        errorCodes: [],
        httpStatus: 200,
        latencyMs: expect.any(Number),
      });
      // solved_at has whole seconds.
      expect(v.challengeTs!.getTime() % 1000).toBe(0);
      expect(v.challengeTs!.getTime()).toBeGreaterThan(issuedAt - 1000);
    });

    it('reads an older reply with risk_score directly in data', async () => {
      fake.fault('captchala', {
        status: 200,
        body: envelope({ code: 0, data: { valid: true, action: 'login', risk_score: 30 } }),
        times: 1,
      });
      const relaxed = await build();
      expect(await relaxed.verify(token(), { action: 'login' })).toMatchObject({
        success: true,
        score: 0.7,
      });
    });
  });

  describe('wire format', () => {
    it('posts JSON {pass_token, client_ip} with X-App-Key and X-App-Secret to /v1/validate', async () => {
      const t = token();
      await verifier.verify(t, { remoteIp: '203.0.113.7' });
      const sent = lastRequest();
      expect(sent).toMatchObject({ provider: 'captchala', method: 'POST', path: '/v1/validate' });
      expect(sent.contentType).toBe('application/json');
      expect(sent.headers['x-app-key']).toBe(APP_KEY);
      expect(sent.headers['x-app-secret']).toBe(APP_SECRET);
      // Exactly these fields: no keep_token (single use), and the secret only in its header.
      expect(JSON.parse(sent.rawBody)).toEqual({ pass_token: t, client_ip: '203.0.113.7' });
    });

    it('leaves client_ip out when the caller has none', async () => {
      const t = token();
      await verifier.verify(t);
      expect(JSON.parse(lastRequest().rawBody)).toEqual({ pass_token: t });
    });

    it('refuses a token over captchala.maxTokenLength (default 4096) without a call', async () => {
      const before = fake.requests.length;
      expect(await verifier.verify(`pt_${'a'.repeat(4094)}`)).toMatchObject({
        reason: 'malformed',
      });
      const short = await build({ captchala: { maxTokenLength: 64 } });
      expect(await short.verify(`pt_${'a'.repeat(62)}`)).toMatchObject({ reason: 'malformed' });
      expect(fake.requests.length).toBe(before);
    });

    it('calls apiv1.captcha.la, and fallbackapiv1.captchala.com for offline_ tokens, by default', async () => {
      const recorder = hostRecordingDispatcher();
      const defaults = await buildFrom({
        provider: 'captchala',
        siteKey: APP_KEY,
        secretKey: APP_SECRET,
        circuitBreaker: false,
        dispatcher: recorder.dispatcher,
      });
      await unavailable(defaults.verify('pt_abc'));
      await unavailable(defaults.verify('offline_abc'));
      await unavailable(defaults.issueChallenge({ action: 'login' }));
      // Each call is tried twice (one retry on a network error); collapse the repeats.
      const calls = recorder.hosts.filter((host, i, all) => host !== all[i - 1]);
      expect(calls).toEqual([
        'apiv1.captcha.la',
        'fallbackapiv1.captchala.com',
        'apiv1.captcha.la',
      ]);
    });
  });

  describe('failure reasons', () => {
    it('reads the reason from msg when code is not 0', async () => {
      fake.fault('captchala', {
        status: 200,
        body: envelope({ code: 1002, msg: 'token_expired', data: null }),
        times: 1,
      });
      expect(await verifier.verify(token())).toMatchObject({
        reason: 'expired',
        errorCodes: ['token_expired'],
      });
    });

    it('fails closed as invalid on code != 0 without a reason', async () => {
      fake.fault('captchala', { status: 200, body: envelope({ code: 1003 }), times: 1 });
      expect(await verifier.verify(token())).toMatchObject({
        reason: 'invalid',
        errorCodes: ['code_1003'],
      });
    });

    it('never passes valid:true when code is not 0', async () => {
      fake.fault('captchala', {
        status: 200,
        body: envelope({ code: 1, msg: 'invalid_answer', data: { valid: true } }),
        times: 1,
      });
      expect(await verifier.verify(token())).toMatchObject({
        success: false,
        reason: 'invalid',
      });
    });

    it('reads failure codes through captchala.errorCodes over the built-in ones', async () => {
      const custom = await build({
        captchala: { errorCodes: { app_disabled: 'misconfigured', token_not_found: 'expired' } },
      });
      fake.fault('captchala', { status: 200, body: refusal('token_not_found'), times: 1 });
      expect(await custom.verify(token())).toMatchObject({ reason: 'expired' });
      fake.fault('captchala', {
        status: 200,
        body: envelope({ code: 7, msg: 'app_disabled' }),
        times: 1,
      });
      const error = await unavailable(custom.verify(token()));
      expect(error).toMatchObject({
        kind: 'misconfigured',
        details: { errorCodes: ['app_disabled'] },
      });
    });
  });

  describe('unreadable answers are outages, never a pass', () => {
    it.each([
      ['an envelope without data.valid', envelope({ code: 0, data: { action: 'login' } })],
      ['data.valid as a string', envelope({ code: 0, data: { valid: 'true' } })],
      ['code 0 without data', envelope({ code: 0, data: null })],
      ['no code', envelope({ data: { valid: true } })],
      ['a success field instead of the envelope', envelope({ success: true })],
      ['an HTML page', '<html>oops</html>'],
    ])('treats %s as bad_response', async (_what, body) => {
      fake.fault('captchala', { status: 200, body, times: 1 });
      const t = token();
      const error = await unavailable(verifier.verify(t));
      expect(error).toMatchObject({ provider: 'captchala', kind: 'bad_response' });
      // CaptchaLa never judged it: the token stays redeemable.
      expect((await verifier.verify(t)).success).toBe(true);
    });

    it('reads an unknown refusal envelope on another 4xx as a verdict (invalid), not an outage', async () => {
      fake.fault('captchala', {
        status: 400,
        body: envelope({ code: 40002, msg: 'pass_token_required' }),
        times: 1,
      });
      expect(await verifier.verify(token())).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['pass_token_required'],
        httpStatus: 400,
      });
    });

    it.each([
      ['an HTML page', '<html>Bad Request</html>'],
      ['a pass envelope', envelope({ code: 0, data: { valid: true, action: 'login' } })],
      ['an empty envelope', envelope({ code: 0, data: {} })],
    ])('reads %s on a 4xx as misconfigured, never a pass nor an outage', async (_what, body) => {
      fake.fault('captchala', { status: 404, body, times: 1 });
      const t = token();
      expect(await unavailable(verifier.verify(t))).toMatchObject({
        kind: 'misconfigured',
        reason: 'misconfigured',
        details: { status: 404 },
      });
      // CaptchaLa never judged it: the token stays redeemable.
      expect((await verifier.verify(t)).success).toBe(true);
    });

    it('still reads a known token refusal on a 4xx as a verdict', async () => {
      fake.fault('captchala', { status: 410, body: refusal('token_expired'), times: 1 });
      expect(await verifier.verify(token())).toMatchObject({ reason: 'expired', httpStatus: 410 });
    });
  });

  describe('our own keys refused (HTTP 401/403: the fake invents this shape)', () => {
    it('throws misconfigured on a wrong app key', async () => {
      const bad = await build({ siteKey: 'someone-elses-app' });
      const error = await unavailable(bad.verify(token()));
      expect(error.kind).toBe('misconfigured');
    });

    it('throws misconfigured on a 403 without a body', async () => {
      fake.fault('captchala', { status: 403, body: '', times: 1 });
      const error = await unavailable(verifier.verify(token()));
      expect(error).toMatchObject({ kind: 'misconfigured', details: { errorCodes: ['HTTP_403'] } });
    });
  });

  describe('policy', () => {
    it('holds score = 1 - risk/100 to minScore (risk 60 fails the default 0.5, risk 50 passes)', async () => {
      expect(await verifier.verify(token(60))).toMatchObject({
        success: false,
        reason: 'score_too_low',
        score: 0.4,
      });
      expect(await verifier.verify(token(50))).toMatchObject({ success: true, score: 0.5 });
      expect(await verifier.verify(token(0))).toMatchObject({ success: true, score: 1 });
      expect(await verifier.verify(token(20), { minScore: 0.9 })).toMatchObject({
        reason: 'score_too_low',
        score: 0.8,
      });
    });

    it('refuses a token made for another action', async () => {
      expect(await verifier.verify(token(10, 'signup'), { action: 'login' })).toMatchObject({
        success: false,
        reason: 'action_mismatch',
        action: 'signup',
      });
    });

    it('refuses a token made without an action when the call expects one', async () => {
      const t = token(10, '');
      expect(await verifier.verify(t, { action: 'login' })).toMatchObject({
        success: false,
        reason: 'action_mismatch',
        action: '',
      });
      expect((await verifier.verify(token(10, ''))).success).toBe(true);
    });

    it('refuses a token whose referer is outside expectedHostnames, or has none', async () => {
      expect(await verifier.verify(token(10, 'login', 'evil.example.net'))).toMatchObject({
        success: false,
        reason: 'hostname_mismatch',
        hostname: 'evil.example.net',
      });
      const v = await verifier.verify(token(10, 'login', ''));
      expect(v).toMatchObject({ success: false, reason: 'hostname_mismatch' });
      expect(v.hostname).toBeUndefined();
    });
  });

  describe('token prefixes', () => {
    it('refuses client_ tokens as invalid without a call', async () => {
      const before = fake.requests.length;
      expect(await verifier.verify(token(10, 'login', 'localhost', 'client'))).toEqual({
        success: false,
        provider: 'captchala',
        reason: 'invalid',
        errorCodes: ['client_token'],
        latencyMs: expect.any(Number),
      });
      expect(fake.requests.length).toBe(before);
    });

    it('accepts client_ tokens unverified, marked degraded, with captchala.acceptClientTokens and allowDegraded', async () => {
      const lenient = await build({ captchala: { acceptClientTokens: true } });
      const t = token(10, 'login', 'localhost', 'client');
      const before = fake.requests.length;
      expect(await lenient.verify(t, { action: 'login', allowDegraded: true })).toMatchObject({
        success: true,
        degraded: true,
        errorCodes: ['client_token_unverified'],
      });
      expect(fake.requests.length).toBe(before);
      // Still single use.
      expect(await lenient.verify(t, { allowDegraded: true })).toMatchObject({
        success: false,
        reason: 'duplicate',
      });
    });

    it('refuses an accepted client_ token as a degraded outage without allowDegraded (fail-closed)', async () => {
      const lenient = await build({ captchala: { acceptClientTokens: true } });
      const t = token(10, 'login', 'localhost', 'client');
      expect(await unavailable(lenient.verify(t, { action: 'login' }))).toMatchObject({
        kind: 'degraded',
        reason: 'provider_unavailable',
        details: { errorCodes: ['client_token_unverified'] },
      });
      // Redeemable where degraded replies are allowed.
      expect(await lenient.verify(t, { allowDegraded: true })).toMatchObject({ success: true });
    });

    it('validates offline_ tokens at captchala.backupUrl with the same body and headers', async () => {
      const t = token(10, 'login', 'localhost', 'offline');
      expect(await verifier.verify(t, { action: 'login' })).toMatchObject({ success: true });
      const sent = lastRequest();
      expect(sent.path).toBe('/api/validate');
      expect(sent.headers['x-app-secret']).toBe(APP_SECRET);
      expect(JSON.parse(sent.rawBody)).toEqual({ pass_token: t });
    });

    it('does not send pt_ tokens to the backup URL', async () => {
      await verifier.verify(token());
      expect(lastRequest().path).toBe('/v1/validate');
    });

    it('treats a degraded answer (dg_ token) as a degraded outage by default; the token stays redeemable', async () => {
      const t = token(10, 'login', 'localhost', 'degraded');
      const error = await unavailable(verifier.verify(t, { allowDegraded: true }));
      expect(error).toMatchObject({
        provider: 'captchala',
        kind: 'degraded',
        reason: 'provider_unavailable',
        details: { errorCodes: ['degraded', 'quota_exhausted'] },
      });
      expect(error.message).toContain('captchala.acceptDegraded');
      const lenient = await build({ captchala: { acceptDegraded: true } });
      // Accepted by the provider option, still refused unless the caller allows degraded replies.
      expect(await unavailable(lenient.verify(t))).toMatchObject({ kind: 'degraded' });
      expect(await lenient.verify(t, { allowDegraded: true })).toMatchObject({
        success: true,
        degraded: true,
      });
    });

    it('judges a degraded answer like any other: a failed check refuses it with its reason', async () => {
      const lenient = await build({
        expectedHostnames: ['localhost'],
        captchala: { acceptDegraded: true },
      });
      const degraded = (data: Record<string, unknown>) =>
        envelope({
          code: 0,
          data: { valid: false, degraded: true, reason: 'quota_exhausted', ...data },
        });
      const t = token(10, 'login', 'localhost', 'degraded');
      fake.fault('captchala', {
        status: 200,
        body: degraded({ action: 'signup', captcha_args: { referer: 'https://localhost/' } }),
        times: 1,
      });
      expect(await lenient.verify(t, { action: 'login', allowDegraded: true })).toMatchObject({
        success: false,
        degraded: true,
        reason: 'action_mismatch',
      });
      // No referer: the host cannot be one of expectedHostnames.
      expect(
        await lenient.verify(token(10, 'login', 'localhost', 'degraded'), { allowDegraded: true }),
      ).toMatchObject({
        success: false,
        degraded: true,
        reason: 'hostname_mismatch',
      });
    });

    it('accepts degraded answers, marked degraded, with captchala.acceptDegraded and allowDegraded', async () => {
      const lenient = await build({ captchala: { acceptDegraded: true } });
      expect(
        await lenient.verify(token(10, 'login', 'localhost', 'degraded'), {
          action: 'login',
          allowDegraded: true,
        }),
      ).toEqual({
        success: true,
        degraded: true,
        provider: 'captchala',
        errorCodes: ['degraded', 'quota_exhausted'],
        httpStatus: 200,
        latencyMs: expect.any(Number),
      });
    });
  });

  describe('issueChallenge (POST /v1/server/challenge/issue)', () => {
    it('sends JSON with the Go SDK field names by default and returns the server token', async () => {
      const issued = await verifier.issueChallenge({
        action: 'login',
        ttl: 120,
        maxUses: 2,
        bindIp: '203.0.113.7',
        bindUid: 'user-42',
      });
      expect(issued).toEqual({
        serverToken: expect.stringMatching(/^sct_/),
        expiresIn: 120,
        issuedAt: expect.any(Number),
      });
      const sent = lastRequest();
      expect(sent.path).toBe('/v1/server/challenge/issue');
      expect(sent.contentType).toBe('application/json');
      expect(sent.headers['x-app-key']).toBe(APP_KEY);
      expect(sent.headers['x-app-secret']).toBe(APP_SECRET);
      expect(JSON.parse(sent.rawBody)).toEqual({
        action: 'login',
        ttl: 120,
        max_uses: 2,
        binding_ip: '203.0.113.7',
        bind_uid: 'user-42',
      });
      expect(fake.captchalaServerTokens).toEqual([
        {
          serverToken: issued.serverToken,
          action: 'login',
          ttl: 120,
          maxUses: 2,
          bindIp: '203.0.113.7',
          bindUid: 'user-42',
          encoding: 'json',
        },
      ]);
    });

    it("sends a form with the API docs' field names with issueEncoding: 'form'", async () => {
      const form = await build({ captchala: { issueEncoding: 'form' } });
      await form.issueChallenge({ action: 'signup', bindIp: '198.51.100.1' });
      const sent = lastRequest();
      expect(sent.contentType).toBe('application/x-www-form-urlencoded');
      expect(sent.form).toEqual({ action: 'signup', bind_ip: '198.51.100.1' });
      expect(fake.captchalaServerTokens[0]).toMatchObject({
        action: 'signup',
        ttl: 300,
        bindIp: '198.51.100.1',
        encoding: 'form',
      });
    });

    it('uses captchala.issueUrl when set', async () => {
      const custom = await build({
        verifyUrl: `${fake.url}/v1/validate?region=eu`,
        captchala: { issueUrl: fake.endpointUrl('captchala', 'issue') },
      });
      await custom.issueChallenge({ action: 'login' });
      expect(lastRequest().url).toBe('/v1/server/challenge/issue');
    });

    it('refuses bad options before calling CaptchaLa', async () => {
      const before = fake.requests.length;
      await expect(verifier.issueChallenge({ action: '' })).rejects.toThrow(TypeError);
      await expect(verifier.issueChallenge({ action: 'login', ttl: 0 })).rejects.toThrow(
        /ttl must be a positive whole number/,
      );
      await expect(verifier.issueChallenge({ action: 'login', maxUses: 1.5 })).rejects.toThrow(
        TypeError,
      );
      expect(fake.requests.length).toBe(before);
    });

    it('throws misconfigured on a wrong secret, and an outage when no token comes back', async () => {
      const bad = await build({ secretKey: WRONG_SECRET });
      const error = await unavailable(bad.issueChallenge({ action: 'login' }));
      expect(error).toMatchObject({ kind: 'misconfigured' });
      expect(error.message).not.toContain(WRONG_SECRET);

      fake.fault('captchala', {
        status: 400,
        body: envelope({ code: 40003, msg: 'action_required' }),
        times: 1,
      });
      expect(await unavailable(verifier.issueChallenge({ action: 'login' }))).toMatchObject({
        kind: 'misconfigured',
        details: { errorCodes: ['action_required'] },
      });
      fake.fault('captchala', { status: 200, body: envelope({ code: 0, data: {} }), times: 1 });
      expect(await unavailable(verifier.issueChallenge({ action: 'login' }))).toMatchObject({
        kind: 'bad_response',
      });
      fake.fault('captchala', { status: 500, times: 2 });
      expect(await unavailable(verifier.issueChallenge({ action: 'login' }))).toMatchObject({
        kind: 'http_5xx',
      });
    });

    it('works through a CaptchaLa fallback provider', async () => {
      const built = await buildFrom({
        provider: 'altcha',
        fallback: {
          provider: 'captchala',
          siteKey: APP_KEY,
          secretKey: APP_SECRET,
          verifyUrl: fake.verifyUrl('captchala'),
        },
      });
      const issued = await built.issueChallenge({ action: 'login' });
      expect(issued.serverToken).toMatch(/^sct_/);
    });

    it('throws a clear Error when CaptchaLa is not configured', async () => {
      const built = await buildFrom({ provider: 'altcha' });
      await expect(built.issueChallenge({ action: 'login' })).rejects.toThrow(
        'issueChallenge needs the CaptchaLa provider',
      );
    });
  });

  describe('guard and challenge route', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createCaptchaApp(
        options({ logDecisions: false, captchala: { challengePath: '/captcha/captchala' } }),
        [PolicyRoutesController],
      );
    });
    afterAll(() => app.close());

    it('serves GET /captcha/captchala?action=… with a fresh server token', async () => {
      const res = await request(app.getHttpServer())
        .get('/captcha/captchala?action=login')
        .expect(200)
        .expect('cache-control', 'no-store');
      expect(res.body).toEqual({
        serverToken: expect.stringMatching(/^sct_/),
        expiresIn: 300,
        issuedAt: expect.any(Number),
      });
      expect(fake.captchalaServerTokens.map((t) => t.action)).toEqual(['login']);
    });

    it('answers 400 without a usable action, and 503 when CaptchaLa cannot issue', async () => {
      await request(app.getHttpServer()).get('/captcha/captchala').expect(400);
      await request(app.getHttpServer()).get('/captcha/captchala?action=a%20b').expect(400);
      fake.fault('captchala', { status: 500, times: 2 });
      const res = await request(app.getHttpServer())
        .get('/captcha/captchala?action=login')
        .expect(503);
      expect(res.body).toMatchObject({ error: 'captcha_unavailable' });
    });

    it('serves no route unless captchala.challengePath is set', async () => {
      const plain = await createCaptchaApp(options({ logDecisions: false }), [
        PolicyRoutesController,
      ]);
      try {
        await request(plain.getHttpServer()).get('/captcha/captchala?action=login').expect(404);
      } finally {
        await plain.close();
      }
    });

    it('answers 503 for a degraded token without captchala.acceptDegraded, on closed and open routes alike', async () => {
      // The client picks the dg_ prefix: without the provider option it is never failed open.
      for (const [path, action] of [
        ['/login', 'login'],
        ['/comment', 'comment'],
      ]) {
        const res = await request(app.getHttpServer())
          .post(path)
          .send({ captcha: { token: token(10, action, 'localhost', 'degraded') } })
          .expect(503);
        expect(res.body).toMatchObject({ error: 'captcha_unavailable' });
      }
    });

    it('with captchala.acceptDegraded, answers 503 on a closed route and lets it through an open one', async () => {
      const lenient = await createCaptchaApp(
        options({ logDecisions: false, captchala: { acceptDegraded: true } }),
        [PolicyRoutesController],
      );
      try {
        const closed = await request(lenient.getHttpServer())
          .post('/login')
          .send({ captchaToken: token(10, 'login', 'localhost', 'degraded') })
          .expect(503);
        expect(closed.body).toMatchObject({ error: 'captcha_unavailable' });
        const open = await request(lenient.getHttpServer())
          .post('/comment')
          .send({ captcha: { token: token(10, 'comment', 'localhost', 'degraded') } })
          .expect(200);
        expect(open.body.captcha).toMatchObject({ success: true, degraded: true });
      } finally {
        await lenient.close();
      }
    });

    it('passes a good token from captcha.token', async () => {
      const res = await request(app.getHttpServer())
        .post('/login')
        .send({ captcha: { token: token() } })
        .expect(200);
      expect(res.body.captcha).toMatchObject({ success: true, provider: 'captchala' });
    });
  });
});
