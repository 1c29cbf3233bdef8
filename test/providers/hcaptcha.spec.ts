// What only hCaptcha does. The siteverify contract shared by all remote providers
// (keys, outages, replays, expiry, hostnames, tokens never sent) runs per provider in
// siteverify-contract.spec.ts.
import { type CaptchaReason, type CaptchaVerifier } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { unavailable } from '../support/expect-unavailable';
import { providerFixture } from '../support/provider-fixture';

const SECRET = FakeCaptchaServer.secrets.hcaptcha;
const SITE_KEY = FakeCaptchaServer.siteKeys.hcaptcha;
const TEST_KEYS = FakeCaptchaServer.testKeys.hcaptcha;
/** A well-formed site key that is not registered with {@link SECRET}. */
const OTHER_SITE_KEY = 'abcd0000-1111-4222-8333-444455556666';

/** A failed siteverify verdict as hCaptcha sends it, for codes the fake cannot produce itself. */
const failureBody = (...codes: string[]) =>
  JSON.stringify({ success: false, 'error-codes': codes });

describe('hCaptcha provider', () => {
  const fx = providerFixture('hcaptcha');
  const { build, lastRequest } = fx;
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  beforeAll(() => ({ fake, verifier } = fx));
  afterEach(() => {
    fake.hcaptchaLegacyDuplicateCode = false;
  });

  const token = (hostname = 'localhost') => fake.issueToken({ provider: 'hcaptcha', hostname });
  /** An Enterprise token: `riskScore` is hCaptcha's raw score, higher meaning more bot-like. */
  const enterpriseToken = (riskScore: number, hostname = 'localhost') =>
    fake.issueToken({ provider: 'hcaptcha', score: riskScore, scoreReason: ['test'], hostname });

  describe('success', () => {
    it('accepts a token and reports hostname and challenge time (no action, no score)', async () => {
      const issuedAt = Date.now();
      const v = await verifier.verify(token('app.example.com'), { remoteIp: '203.0.113.7' });
      expect(v).toEqual({
        success: true,
        provider: 'hcaptcha',
        hostname: 'app.example.com',
        challengeTs: expect.any(Date),
        errorCodes: [],
        httpStatus: 200,
        latencyMs: expect.any(Number),
      });
      expect(v.challengeTs!.getTime() % 1000).toBe(0);
      expect(v.challengeTs!.getTime()).toBeGreaterThan(issuedAt - 1000);
      expect(v.challengeTs!.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('accepts an Enterprise token and reports its score inverted (1.0 = human)', async () => {
      const v = await verifier.verify(enterpriseToken(0.1, 'app.example.com'));
      expect(v).toMatchObject({
        success: true,
        hostname: 'app.example.com',
        score: 0.9,
        errorCodes: [],
      });
      expect(v.action).toBeUndefined();
      expect(v.challengeTs).toBeInstanceOf(Date);
    });
  });

  describe('wire format', () => {
    it('posts form-encoded secret, response, remoteip and sitekey to /siteverify', async () => {
      const t = token();
      await verifier.verify(t, { remoteIp: '203.0.113.7' });
      const sent = lastRequest();
      expect(sent).toMatchObject({ provider: 'hcaptcha', method: 'POST', path: '/siteverify' });
      expect(sent.contentType).toContain('application/x-www-form-urlencoded');
      expect(sent.form).toEqual({
        secret: SECRET,
        response: t,
        remoteip: '203.0.113.7',
        sitekey: SITE_KEY,
      });
      expect(new URLSearchParams(sent.rawBody).get('response')).toBe(t);
    });

    it('leaves remoteip out when the caller has none', async () => {
      const t = token();
      await verifier.verify(t);
      expect(lastRequest().form).toEqual({ secret: SECRET, response: t, sitekey: SITE_KEY });
    });

    it('forwards an IPv6 remote address unchanged', async () => {
      expect((await verifier.verify(token(), { remoteIp: '2001:db8::7' })).success).toBe(true);
      expect(lastRequest().form?.remoteip).toBe('2001:db8::7');
    });

    it('does not send a remote IP that does not parse, so the verdict is still about the token', async () => {
      const v = await verifier.verify(token(), { remoteIp: 'unknown' });
      expect(v.success).toBe(true);
      expect(lastRequest().form).not.toHaveProperty('remoteip');
    });
  });

  describe('error codes', () => {
    it('throws misconfigured for not-using-dummy-passcode when our own site key is a test key', async () => {
      const test = await build({
        siteKey: TEST_KEYS.publisher.siteKey,
        secretKey: TEST_KEYS.secret,
      });
      fake.fault('hcaptcha', {
        status: 200,
        body: failureBody('not-using-dummy-passcode'),
        times: 1,
      });
      expect(await unavailable(test.verify(TEST_KEYS.publisher.token))).toMatchObject({
        kind: 'misconfigured',
        details: { errorCodes: ['not-using-dummy-passcode'] },
      });
    });

    it('reads not-using-dummy-passcode on a production site key as invalid: the public test token was sent', async () => {
      // Were it an outage, a fail-open policy would let anyone through with the public test token.
      const v = await verifier.verify(TEST_KEYS.publisher.token);
      expect(v).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['not-using-dummy-passcode'],
      });
      expect(lastRequest().form?.sitekey).toBe(SITE_KEY);
    });

    it('puts our own mistake first when a reply carries several codes', async () => {
      fake.fault('hcaptcha', {
        status: 200,
        body: failureBody('already-seen-response', 'sitekey-secret-mismatch'),
        times: 1,
      });
      expect((await unavailable(verifier.verify(token()))).kind).toBe('misconfigured');
    });

    it.each<[string, string[], CaptchaReason]>([
      ['expired over duplicate', ['already-seen-response', 'expired-input-response'], 'expired'],
      ['duplicate over invalid', ['invalid-input-response', 'already-seen-response'], 'duplicate'],
      ['an unknown code as invalid', ['some-future-code'], 'invalid'],
      ['no codes as invalid', [], 'invalid'],
    ])('reads %s', async (_what, codes, reason) => {
      fake.fault('hcaptcha', { status: 200, body: failureBody(...codes), times: 1 });
      expect(await verifier.verify(token())).toMatchObject({ success: false, reason });
    });
  });

  describe('duplicates and expiry', () => {
    it('maps the legacy invalid-or-already-seen-response to duplicate', async () => {
      fake.hcaptchaLegacyDuplicateCode = true;
      const other = await build();
      const t = token();
      expect((await other.verify(t)).success).toBe(true);
      expect(await verifier.verify(t)).toMatchObject({
        success: false,
        reason: 'duplicate',
        errorCodes: ['invalid-or-already-seen-response'],
      });
    });

    it('fails a token older than maxTokenAgeSeconds as expired, judged on challenge_ts', async () => {
      const strict = await build({ maxTokenAgeSeconds: 60 });
      fake.advanceClock(-90_000);
      const t = token();
      fake.advanceClock(90_000);
      expect(await strict.verify(t)).toMatchObject({ success: false, reason: 'expired' });
    });
  });

  describe('keys', () => {
    it('throws misconfigured when our site key is not registered with our secret', async () => {
      const mismatched = await build({ siteKey: OTHER_SITE_KEY });
      const error = await unavailable(mismatched.verify(token()));
      expect(error).toMatchObject({
        kind: 'misconfigured',
        details: { errorCodes: ['sitekey-secret-mismatch'] },
      });
      expect(lastRequest().form?.sitekey).toBe(OTHER_SITE_KEY);
    });

    it('passes the publisher test site key with the test secret and its test token', async () => {
      const test = await build({
        siteKey: TEST_KEYS.publisher.siteKey,
        secretKey: TEST_KEYS.secret,
      });
      const v = await test.verify(TEST_KEYS.publisher.token);
      expect(v).toMatchObject({ success: true, provider: 'hcaptcha', errorCodes: [] });
      expect(v.score).toBeUndefined();
      expect(lastRequest().form).toMatchObject({
        secret: TEST_KEYS.secret,
        sitekey: TEST_KEYS.publisher.siteKey,
        response: TEST_KEYS.publisher.token,
      });
    });

    it('accepts the fixed test token on every submit (no single-use claim on public test tokens)', async () => {
      const test = await build({
        siteKey: TEST_KEYS.publisher.siteKey,
        secretKey: TEST_KEYS.secret,
      });
      for (let i = 0; i < 3; i++) {
        expect((await test.verify(TEST_KEYS.publisher.token)).success).toBe(true);
      }
    });

    it('refuses a minted token with the test secret (invalid)', async () => {
      const test = await build({
        siteKey: TEST_KEYS.publisher.siteKey,
        secretKey: TEST_KEYS.secret,
      });
      expect(await test.verify(token())).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['invalid-input-response'],
      });
    });

    it('reads the Enterprise test keys: safe user passes, bot detected scores too low', async () => {
      const safe = await build({
        siteKey: TEST_KEYS.enterpriseSafeUser.siteKey,
        secretKey: TEST_KEYS.secret,
      });
      const bot = await build({
        siteKey: TEST_KEYS.enterpriseBotDetected.siteKey,
        secretKey: TEST_KEYS.secret,
      });
      const safeResult = await safe.verify(TEST_KEYS.enterpriseSafeUser.token);
      expect(safeResult).toMatchObject({ success: true, score: 0.9 });
      const botResult = await bot.verify(TEST_KEYS.enterpriseBotDetected.token);
      expect(botResult).toMatchObject({ success: false, reason: 'score_too_low', score: 0.05 });
    });

    it('throws misconfigured (not-using-dummy-passcode) for a test site key with a real secret', async () => {
      const half = await build({ siteKey: TEST_KEYS.publisher.siteKey, secretKey: SECRET });
      const error = await unavailable(half.verify(TEST_KEYS.publisher.token));
      expect(error).toMatchObject({
        kind: 'misconfigured',
        details: { errorCodes: ['not-using-dummy-passcode'] },
      });
      expect(error.message).not.toContain(SECRET);
    });
  });

  describe('policy', () => {
    it('cannot mismatch an action: hCaptcha reports none', async () => {
      const t = fake.issueToken({ provider: 'hcaptcha', action: 'signup' });
      const v = await verifier.verify(t, { action: 'login' });
      expect(v.success).toBe(true);
      expect(v.action).toBeUndefined();
    });

    it('refuses a reply that does report another action', async () => {
      fake.fault('hcaptcha', {
        status: 200,
        body: JSON.stringify({ success: true, hostname: 'localhost', action: 'signup' }),
        times: 1,
      });
      expect(await verifier.verify(token(), { action: 'login' })).toMatchObject({
        success: false,
        reason: 'action_mismatch',
        action: 'signup',
      });
    });

    it('reads a raw risk score of 0.9 as 0.1 and refuses it as score_too_low', async () => {
      const v = await verifier.verify(enterpriseToken(0.9));
      expect(v).toMatchObject({ success: false, reason: 'score_too_low', score: 0.1 });
    });

    it('reads a raw risk score of 0.1 as 0.9 and accepts it', async () => {
      const v = await verifier.verify(enterpriseToken(0.1));
      expect(v).toMatchObject({ success: true, score: 0.9 });
    });

    it('inverts exactly, so a score at the threshold passes', async () => {
      // 1 - 0.8 is 0.19999999999999996 in floating point.
      const v = await verifier.verify(enterpriseToken(0.8), { minScore: 0.2 });
      expect(v).toMatchObject({ success: true, score: 0.2 });
    });

    it('holds the inverted score to minScoreByAction and a per-call minScore', async () => {
      const strict = await build({ minScoreByAction: { checkout: 0.8 } });
      expect(await strict.verify(enterpriseToken(0.3), { action: 'checkout' })).toMatchObject({
        success: false,
        reason: 'score_too_low',
      });
      expect((await strict.verify(enterpriseToken(0.3), { action: 'login' })).success).toBe(true);
      expect(
        (await strict.verify(enterpriseToken(0.3), { action: 'checkout', minScore: 0.6 })).success,
      ).toBe(true);
    });

    it('passes a non-Enterprise token (no score) under the module default only', async () => {
      expect((await verifier.verify(token())).success).toBe(true);
      expect(await verifier.verify(token(), { minScore: 0.5 })).toMatchObject({
        success: false,
        reason: 'score_too_low',
      });
    });
  });

  describe('outages', () => {
    it.each([
      ['JSON without success', { status: 200, body: '{"hostname":"localhost"}' }],
      ['a JSON array', { status: 200, body: '[true]' }],
    ])('treats %s as a bad_response outage, never a pass', async (_what, fault) => {
      fake.fault('hcaptcha', fault);
      expect((await unavailable(verifier.verify(token()))).kind).toBe('bad_response');
    });

    it('never takes success:true on a non-2xx answer as a pass', async () => {
      fake.fault('hcaptcha', {
        status: 429,
        body: JSON.stringify({ success: true, hostname: 'localhost' }),
        times: 1,
      });
      expect(await unavailable(verifier.verify(token()))).toMatchObject({
        kind: 'http_4xx',
        details: { status: 429 },
      });
    });
  });
});
