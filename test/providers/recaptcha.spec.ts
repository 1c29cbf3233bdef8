// What only reCAPTCHA does. The siteverify contract shared by all remote providers
// (keys, outages, replays, expiry, hostnames, tokens never sent) runs per provider in
// siteverify-contract.spec.ts.
import { type CaptchaVerifier } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { unavailable } from '../support/expect-unavailable';
import { providerFixture } from '../support/provider-fixture';

const SECRET = FakeCaptchaServer.secrets.recaptcha;
const TEST_KEYS = FakeCaptchaServer.testKeys.recaptcha;

/** A failed siteverify verdict as Google sends it, for codes the fake cannot produce itself. */
const failureBody = (...codes: string[]) =>
  JSON.stringify({ success: false, 'error-codes': codes });

describe('reCAPTCHA provider', () => {
  const fx = providerFixture('recaptcha', {
    verifierOptions: {
      expectedHostnames: ['localhost', 'app.example.com'],
      minScoreByAction: { checkout: 0.8 },
    },
  });
  const { build, lastRequest } = fx;
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  beforeAll(() => ({ fake, verifier } = fx));

  const v3Token = (score: number, action = 'login', hostname = 'localhost') =>
    fake.issueToken({ provider: 'recaptcha', score, action, hostname });
  const v2Token = (hostname = 'localhost') => fake.issueToken({ provider: 'recaptcha', hostname });

  describe('success', () => {
    it('accepts a v3 token and reports action, hostname, score and challenge time', async () => {
      const issuedAt = Date.now();
      const token = v3Token(0.9, 'login', 'app.example.com');
      const v = await verifier.verify(token, { action: 'login', remoteIp: '203.0.113.7' });
      expect(v).toEqual({
        success: true,
        provider: 'recaptcha',
        action: 'login',
        hostname: 'app.example.com',
        score: 0.9,
        challengeTs: expect.any(Date),
        errorCodes: [],
        httpStatus: 200,
        latencyMs: expect.any(Number),
      });
      // reCAPTCHA's challenge_ts has whole seconds: the issue time, truncated.
      expect(v.challengeTs!.getTime() % 1000).toBe(0);
      expect(v.challengeTs!.getTime()).toBeGreaterThan(issuedAt - 1000);
      expect(v.challengeTs!.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('accepts a v2 token (no score, no action) and reports hostname and challenge time', async () => {
      const v = await verifier.verify(v2Token('app.example.com'));
      expect(v).toMatchObject({ success: true, hostname: 'app.example.com', errorCodes: [] });
      expect(v.score).toBeUndefined();
      expect(v.action).toBeUndefined();
      expect(v.challengeTs).toBeInstanceOf(Date);
    });

    it('compares expected hostnames case-insensitively', async () => {
      const v = await verifier.verify(v3Token(0.9, 'login', 'App.Example.COM'));
      expect(v).toMatchObject({ success: true, hostname: 'App.Example.COM' });
    });
  });

  describe('wire format', () => {
    it('posts form-encoded secret, response and remoteip to /recaptcha/api/siteverify', async () => {
      const token = v3Token(0.9);
      await verifier.verify(token, { remoteIp: '203.0.113.7' });
      const sent = lastRequest();
      expect(sent).toMatchObject({
        provider: 'recaptcha',
        method: 'POST',
        path: '/recaptcha/api/siteverify',
      });
      expect(sent.contentType).toContain('application/x-www-form-urlencoded');
      // Exactly these fields: Google takes no sitekey or idempotency key.
      expect(sent.form).toEqual({ secret: SECRET, response: token, remoteip: '203.0.113.7' });
      expect(new URLSearchParams(sent.rawBody).get('response')).toBe(token);
    });

    it('leaves remoteip out when the caller has none', async () => {
      const token = v3Token(0.9);
      await verifier.verify(token);
      expect(lastRequest().form).toEqual({ secret: SECRET, response: token });
    });

    it('forwards an IPv6 remote address unchanged', async () => {
      await verifier.verify(v3Token(0.9), { remoteIp: '2001:db8::7' });
      expect(lastRequest().form?.remoteip).toBe('2001:db8::7');
    });
  });

  describe('error codes', () => {
    it('puts our own mistake first when a reply carries several codes', async () => {
      fake.fault('recaptcha', {
        status: 200,
        body: failureBody('timeout-or-duplicate', 'invalid-input-secret'),
        times: 1,
      });
      const error = await unavailable(verifier.verify(v3Token(0.9)));
      expect(error.kind).toBe('misconfigured');
    });

    it('prefers duplicate over invalid when both are reported', async () => {
      fake.fault('recaptcha', {
        status: 200,
        body: failureBody('invalid-input-response', 'timeout-or-duplicate'),
        times: 1,
      });
      expect(await verifier.verify(v3Token(0.9))).toMatchObject({ reason: 'duplicate' });
    });

    it.each([
      ['an unknown code', failureBody('browser-error')],
      ['no codes at all', JSON.stringify({ success: false })],
    ])('fails closed as invalid on %s', async (_what, body) => {
      fake.fault('recaptcha', { status: 200, body, times: 1 });
      expect(await verifier.verify(v3Token(0.9))).toMatchObject({
        success: false,
        reason: 'invalid',
      });
    });
  });

  describe('duplicates and expiry', () => {
    it('fails a token older than maxTokenAgeSeconds as expired, judged on challenge_ts', async () => {
      const strict = await build({ maxTokenAgeSeconds: 60 });
      fake.advanceClock(-90_000);
      const token = v3Token(0.9);
      fake.advanceClock(90_000);
      const v = await strict.verify(token);
      expect(v).toMatchObject({ success: false, reason: 'expired', score: 0.9 });
      expect(Date.now() - v.challengeTs!.getTime()).toBeGreaterThanOrEqual(89_000);
    });
  });

  describe('secrets', () => {
    it('passes any response with the official v2 test secret, reporting testkey.google.com', async () => {
      const test = await build({ secretKey: TEST_KEYS.secret, siteKey: TEST_KEYS.siteKey });
      for (const token of ['anything-at-all', '03AnotIssuedByTheFake']) {
        const v = await test.verify(token);
        expect(v).toMatchObject({ success: true, hostname: 'testkey.google.com', errorCodes: [] });
        expect(v.score).toBeUndefined();
        expect(lastRequest().form?.secret).toBe(TEST_KEYS.secret);
      }
    });

    it('still holds the test key reply to expectedHostnames', async () => {
      const test = await build({
        secretKey: TEST_KEYS.secret,
        siteKey: TEST_KEYS.siteKey,
        expectedHostnames: ['app.example.com'],
      });
      expect(await test.verify('anything-at-all')).toMatchObject({
        success: false,
        reason: 'hostname_mismatch',
        hostname: 'testkey.google.com',
      });
    });
  });

  describe('policy', () => {
    it('refuses a v3 token made for another action', async () => {
      const v = await verifier.verify(v3Token(0.9, 'signup'), { action: 'login' });
      expect(v).toMatchObject({ success: false, reason: 'action_mismatch', action: 'signup' });
    });

    it('refuses a v3 token made without an action when the call expects one', async () => {
      const token = fake.issueToken({ provider: 'recaptcha', score: 0.9 });
      const v = await verifier.verify(token, { action: 'login' });
      expect(v).toMatchObject({ success: false, reason: 'action_mismatch' });
    });

    it('refuses a v3 score of 0.1 against the default minScore 0.5', async () => {
      const v = await verifier.verify(v3Token(0.1), { action: 'login' });
      expect(v).toMatchObject({ success: false, reason: 'score_too_low', score: 0.1 });
    });

    it('accepts a v3 score of 0.9, and a score exactly at the threshold', async () => {
      expect(await verifier.verify(v3Token(0.9), { action: 'login' })).toMatchObject({
        success: true,
        score: 0.9,
      });
      expect((await verifier.verify(v3Token(0.5), { action: 'login' })).success).toBe(true);
    });

    it('holds an action to its minScoreByAction threshold', async () => {
      const v = await verifier.verify(v3Token(0.7, 'checkout'), { action: 'checkout' });
      expect(v).toMatchObject({ success: false, reason: 'score_too_low', score: 0.7 });
      // The same score passes an action that only has the module default.
      expect((await verifier.verify(v3Token(0.7, 'login'), { action: 'login' })).success).toBe(
        true,
      );
      expect(
        (await verifier.verify(v3Token(0.85, 'checkout'), { action: 'checkout' })).success,
      ).toBe(true);
    });

    it('lets a per-call minScore win over the per-action and module thresholds', async () => {
      expect(
        (await verifier.verify(v3Token(0.7, 'checkout'), { action: 'checkout', minScore: 0.6 }))
          .success,
      ).toBe(true);
      expect(
        await verifier.verify(v3Token(0.9, 'login'), { action: 'login', minScore: 0.95 }),
      ).toMatchObject({ success: false, reason: 'score_too_low', score: 0.9 });
    });

    it('passes a v2 token (no score) under the module default only', async () => {
      expect((await verifier.verify(v2Token(), { action: 'login' })).success).toBe(true);
    });

    it('fails a v2 token as score_too_low when the call demands a minScore', async () => {
      expect(await verifier.verify(v2Token(), { minScore: 0.5 })).toMatchObject({
        success: false,
        reason: 'score_too_low',
      });
    });

    it('fails a v2 token as score_too_low for an action with a minScoreByAction', async () => {
      expect(await verifier.verify(v2Token(), { action: 'checkout' })).toMatchObject({
        success: false,
        reason: 'score_too_low',
      });
    });
  });

  describe('outages', () => {
    it.each([
      ['JSON without success', { status: 200, body: '{"hostname":"localhost"}' }],
      ['a string success', { status: 200, body: '{"success":"true"}' }],
    ])('treats %s as a bad_response outage, never a pass', async (_what, fault) => {
      fake.fault('recaptcha', fault);
      const error = await unavailable(verifier.verify(v3Token(0.9)));
      expect(error.kind).toBe('bad_response');
    });

    it('never takes success:true on a non-2xx answer as a pass', async () => {
      fake.fault('recaptcha', {
        status: 403,
        body: JSON.stringify({ success: true, hostname: 'localhost', score: 0.9 }),
        times: 1,
      });
      const error = await unavailable(verifier.verify(v3Token(0.9)));
      // A 4xx we do not recognise refused the request: never a pass, never counted as an outage.
      expect(error).toMatchObject({
        provider: 'recaptcha',
        kind: 'misconfigured',
        reason: 'misconfigured',
      });
    });

    it('reads an unreadable 4xx as misconfigured and a 5xx as an outage', async () => {
      fake.fault('recaptcha', { status: 400, body: '<html>Bad Request</html>', times: 1 });
      expect(await unavailable(verifier.verify(v3Token(0.9)))).toMatchObject({
        kind: 'misconfigured',
        details: { status: 400 },
      });
      fake.fault('recaptcha', { status: 200, body: '<html>oops</html>', times: 1 });
      expect(await unavailable(verifier.verify(v3Token(0.9)))).toMatchObject({
        kind: 'bad_response',
        reason: 'provider_unavailable',
      });
    });
  });
});
