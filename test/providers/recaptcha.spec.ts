import {
  type CaptchaModuleOptions,
  type CaptchaReason,
  type CaptchaVerifier,
} from 'nestjs-captcha';
import { FakeCaptchaServer, type RecordedRequest } from 'nestjs-captcha/testing';
import type { TestingModule } from '@nestjs/testing';
import { createVerifier } from '../support/create-verifier';
import { unavailable } from '../support/expect-unavailable';

const SECRET = FakeCaptchaServer.secrets.recaptcha;
const TEST_KEYS = FakeCaptchaServer.testKeys.recaptcha;
const WRONG_SECRET = '6LwrongSecretRecaptchaDoNotLeakThis000000';

/** A failed siteverify verdict as Google sends it, for codes the fake cannot produce itself. */
const failureBody = (...codes: string[]) =>
  JSON.stringify({ success: false, 'error-codes': codes });

describe('reCAPTCHA provider', () => {
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  let moduleRef: TestingModule;
  const extraModules: TestingModule[] = [];

  const options = (overrides: Partial<CaptchaModuleOptions> = {}): CaptchaModuleOptions => ({
    provider: 'recaptcha',
    siteKey: FakeCaptchaServer.siteKeys.recaptcha,
    secretKey: SECRET,
    verifyUrl: fake.verifyUrl('recaptcha'),
    timeoutMs: 300,
    // These suites provoke many outages on one verifier; circuits have their own spec.
    circuitBreaker: false,
    ...overrides,
  });

  /** Another verifier with its own store, closed after the test. */
  const build = async (overrides: Partial<CaptchaModuleOptions> = {}) => {
    const built = await createVerifier(options(overrides));
    extraModules.push(built.moduleRef);
    return built.verifier;
  };

  const v3Token = (score: number, action = 'login', hostname = 'localhost') =>
    fake.issueToken({ provider: 'recaptcha', score, action, hostname });
  const v2Token = (hostname = 'localhost') => fake.issueToken({ provider: 'recaptcha', hostname });
  const lastRequest = (): RecordedRequest => fake.requests[fake.requests.length - 1];

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    ({ verifier, moduleRef } = await createVerifier(
      options({
        expectedHostnames: ['localhost', 'app.example.com'],
        minScoreByAction: { checkout: 0.8 },
      }),
    ));
  });
  afterEach(async () => {
    fake.reset();
    await Promise.all(extraModules.splice(0).map((m) => m.close()));
  });
  afterAll(async () => {
    await moduleRef.close();
    await fake.close();
  });

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
    it.each<[string, CaptchaReason]>([
      ['missing-input-response', 'malformed'],
      ['invalid-input-response', 'invalid'],
      ['timeout-or-duplicate', 'duplicate'],
    ])('maps %s to %s', async (code, reason) => {
      fake.fault('recaptcha', { status: 200, body: failureBody(code), times: 1 });
      const v = await verifier.verify(v3Token(0.9));
      expect(v).toMatchObject({
        success: false,
        provider: 'recaptcha',
        reason,
        errorCodes: [code],
      });
    });

    it.each(['missing-input-secret', 'invalid-input-secret', 'bad-request'])(
      'throws CaptchaUnavailableError(misconfigured) for %s',
      async (code) => {
        fake.fault('recaptcha', { status: 200, body: failureBody(code), times: 1 });
        const token = v3Token(0.9);
        const error = await unavailable(verifier.verify(token));
        expect(error).toMatchObject({
          provider: 'recaptcha',
          kind: 'misconfigured',
          reason: 'misconfigured',
          details: { errorCodes: [code] },
        });
        expect(error.message).toContain(code);
        expect(error.message).not.toContain(SECRET);
        expect(error.message).not.toContain(token);
      },
    );

    it('maps a forged token (invalid-input-response from the provider itself) to invalid', async () => {
      const v = await verifier.verify('03AforgedTokenThatGoogleNeverIssued');
      expect(v).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['invalid-input-response'],
      });
    });

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
    it('refuses a replay from its own store without asking Google again', async () => {
      const token = v3Token(0.9);
      expect((await verifier.verify(token)).success).toBe(true);
      const before = fake.requests.length;
      expect(await verifier.verify(token)).toEqual({
        success: false,
        provider: 'recaptcha',
        reason: 'duplicate',
        errorCodes: [],
        latencyMs: expect.any(Number),
      });
      expect(fake.requests.length).toBe(before);
    });

    it('maps timeout-or-duplicate from Google (another instance redeemed it) to duplicate', async () => {
      const other = await build();
      const token = v3Token(0.9);
      expect((await other.verify(token)).success).toBe(true);
      const before = fake.requests.length;
      const v = await verifier.verify(token);
      expect(v).toMatchObject({
        success: false,
        reason: 'duplicate',
        errorCodes: ['timeout-or-duplicate'],
      });
      expect(fake.requests.length).toBe(before + 1);
    });

    it('still accepts a token just inside its 120 s lifetime', async () => {
      const token = v3Token(0.9);
      fake.advanceClock(119_000);
      expect((await verifier.verify(token)).success).toBe(true);
    });

    it('fails a token older than 120 s (Google answers timeout-or-duplicate)', async () => {
      const token = v3Token(0.9);
      fake.advanceClock(121_000);
      const v = await verifier.verify(token);
      expect(v.success).toBe(false);
      expect(v.errorCodes).toEqual(['timeout-or-duplicate']);
      // Google does not say which of the two happened; the shared code reads as duplicate.
      expect(v.reason).toBe('duplicate');
    });

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
    it('throws CaptchaUnavailableError(misconfigured) on a wrong secret, naming neither secret nor token', async () => {
      const bad = await build({ secretKey: WRONG_SECRET });
      const token = v3Token(0.9);
      const error = await unavailable(bad.verify(token));
      expect(error).toMatchObject({
        name: 'CaptchaUnavailableError',
        provider: 'recaptcha',
        kind: 'misconfigured',
        reason: 'misconfigured',
        details: { errorCodes: ['invalid-input-secret'] },
      });
      expect(error.message).toContain('invalid-input-secret');
      expect(error.message).not.toContain(WRONG_SECRET);
      expect(error.message).not.toContain(token);
      expect(JSON.stringify(error.details)).not.toContain(WRONG_SECRET);
    });

    it('throws misconfigured when the secret resolves to nothing (missing-input-secret)', async () => {
      const empty = await build({ secretKey: () => '' });
      const error = await unavailable(empty.verify(v3Token(0.9)));
      expect(error).toMatchObject({
        kind: 'misconfigured',
        details: { errorCodes: ['missing-input-secret'] },
      });
    });

    it('keeps a token redeemable after a misconfigured call (Google never judged it)', async () => {
      let secret = WRONG_SECRET;
      const rotating = await build({ secretKey: () => secret });
      const token = v3Token(0.9);
      await unavailable(rotating.verify(token));
      secret = SECRET;
      expect((await rotating.verify(token)).success).toBe(true);
    });

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

    it('refuses a token solved on a host outside expectedHostnames', async () => {
      const v = await verifier.verify(v3Token(0.9, 'login', 'evil.example.net'));
      expect(v).toMatchObject({
        success: false,
        reason: 'hostname_mismatch',
        hostname: 'evil.example.net',
      });
    });

    it('accepts a host given per call through expectedHostname', async () => {
      const v = await verifier.verify(v3Token(0.9, 'login', 'partner.example.org'), {
        expectedHostname: 'partner.example.org',
      });
      expect(v.success).toBe(true);
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
    it('times out into CaptchaUnavailableError(timeout) without retrying, leaving the token usable', async () => {
      fake.fault('recaptcha', { hang: true, times: 1 });
      const token = v3Token(0.9);
      const before = fake.requests.length;
      const error = await unavailable(verifier.verify(token));
      expect(error).toMatchObject({ provider: 'recaptcha', kind: 'timeout' });
      expect(error.reason).toBe('provider_unavailable');
      expect(fake.requests.length).toBe(before + 1);
      // Google never judged it, and our claim was released.
      expect((await verifier.verify(token)).success).toBe(true);
    });

    it('retries a 503 once and gets the verdict', async () => {
      fake.fault('recaptcha', { status: 503, times: 1 });
      const before = fake.requests.length;
      expect((await verifier.verify(v3Token(0.9))).success).toBe(true);
      expect(fake.requests.length).toBe(before + 2);
    });

    it('throws http_5xx after a 500 twice, and the token survives the outage', async () => {
      fake.fault('recaptcha', { status: 500, times: 2 });
      const token = v3Token(0.9);
      const before = fake.requests.length;
      const error = await unavailable(verifier.verify(token));
      expect(error).toMatchObject({ kind: 'http_5xx', details: { status: 500 } });
      expect(fake.requests.length).toBe(before + 2);
      expect((await verifier.verify(token)).success).toBe(true);
    });

    it.each([
      ['an HTML page', { status: 200, body: '<html>oops</html>', contentType: 'text/html' }],
      ['JSON without success', { status: 200, body: '{"hostname":"localhost"}' }],
      ['a string success', { status: 200, body: '{"success":"true"}' }],
    ])('treats %s as a bad_response outage, never a pass', async (_what, fault) => {
      fake.fault('recaptcha', fault);
      const error = await unavailable(verifier.verify(v3Token(0.9)));
      expect(error.kind).toBe('bad_response');
    });

    it('treats a dropped connection as a network outage after one retry', async () => {
      fake.fault('recaptcha', { closeConnection: true });
      const before = fake.requests.length;
      const error = await unavailable(verifier.verify(v3Token(0.9)));
      expect(error.kind).toBe('network');
      expect(fake.requests.length).toBe(before + 2);
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

  describe('tokens never sent', () => {
    it('accepts a token of exactly 4096 characters for sending', async () => {
      const before = fake.requests.length;
      const v = await verifier.verify('a'.repeat(4096));
      expect(v).toMatchObject({ success: false, reason: 'invalid' });
      expect(fake.requests.length).toBe(before + 1);
    });

    it.each<[string, unknown, CaptchaReason]>([
      ['nothing', undefined, 'missing'],
      ['an empty string', '', 'malformed'],
      ['a 4097-character token', 'a'.repeat(4097), 'malformed'],
      ['a token with a space', '03Aabc def', 'malformed'],
      ['a token with a NUL byte', '03Aabc\u0000def', 'malformed'],
      ['a token with unicode', '03Aabcdé', 'malformed'],
      ['a number', 12345, 'malformed'],
      ['an object', { token: '03Aabc' }, 'malformed'],
    ])('refuses %s without calling Google', async (_what, token, reason) => {
      const before = fake.requests.length;
      expect(await verifier.verify(token)).toEqual({
        success: false,
        provider: 'recaptcha',
        reason,
        errorCodes: [],
        latencyMs: expect.any(Number),
      });
      expect(fake.requests.length).toBe(before);
    });
  });
});
