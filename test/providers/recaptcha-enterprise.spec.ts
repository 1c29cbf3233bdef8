// What only reCAPTCHA Enterprise does. The siteverify contract shared by all remote providers
// (keys, outages, replays, expiry, hostnames, tokens never sent) runs per provider in
// siteverify-contract.spec.ts.
import { CaptchaConfigError, type CaptchaVerifier } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { createVerifier } from '../support/create-verifier';
import { unavailable } from '../support/expect-unavailable';
import { providerFixture } from '../support/provider-fixture';

const API_KEY = FakeCaptchaServer.secrets['recaptcha-enterprise'];
const SITE_KEY = FakeCaptchaServer.siteKeys['recaptcha-enterprise'];
const PROJECT = FakeCaptchaServer.projectId;

/** An assessment body as Google sends it, for shapes the fake cannot produce itself. */
const assessment = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe('reCAPTCHA Enterprise provider', () => {
  const fx = providerFixture('recaptcha-enterprise', {
    extraOptions: () => ({ projectId: PROJECT }),
  });
  const { options, build, lastRequest } = fx;
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  beforeAll(() => ({ fake, verifier } = fx));

  const token = (score = 0.9, action = 'login', hostname = 'localhost', scoreReason?: string[]) =>
    fake.issueToken({ provider: 'recaptcha-enterprise', score, action, hostname, scoreReason });

  describe('success', () => {
    it('accepts a valid token and reports action, hostname, score, reasons and create time', async () => {
      const issuedAt = Date.now();
      const v = await verifier.verify(token(0.9, 'login', 'app.example.com'), {
        action: 'login',
        remoteIp: '203.0.113.7',
      });
      expect(v).toEqual({
        success: true,
        provider: 'recaptcha-enterprise',
        action: 'login',
        hostname: 'app.example.com',
        score: 0.9,
        reasons: [],
        challengeTs: expect.any(Date),
        errorCodes: [],
        httpStatus: 200,
        latencyMs: expect.any(Number),
      });
      expect(v.challengeTs!.getTime()).toBeGreaterThanOrEqual(issuedAt - 5);
    });

    it('exposes riskAnalysis.reasons on the verification', async () => {
      const v = await verifier.verify(token(0.9, 'login', 'localhost', ['UNEXPECTED_ENVIRONMENT']));
      expect(v).toMatchObject({ success: true, reasons: ['UNEXPECTED_ENVIRONMENT'] });
    });
  });

  describe('wire format', () => {
    it('posts JSON {event: {token, siteKey, expectedAction, userIpAddress}} with ?key= to the project', async () => {
      const t = token();
      await verifier.verify(t, { action: 'login', remoteIp: '203.0.113.7' });
      const sent = lastRequest();
      expect(sent).toMatchObject({
        provider: 'recaptcha-enterprise',
        method: 'POST',
        path: `/v1/projects/${PROJECT}/assessments`,
        url: `/v1/projects/${PROJECT}/assessments?key=${API_KEY}`,
      });
      expect(sent.contentType).toBe('application/json; charset=utf-8');
      expect(JSON.parse(sent.rawBody)).toEqual({
        event: {
          token: t,
          siteKey: SITE_KEY,
          expectedAction: 'login',
          userIpAddress: '203.0.113.7',
        },
      });
      // The API key travels in the query only, never in a header or the body.
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.rawBody).not.toContain(API_KEY);
    });

    it('sends only token and siteKey when the call has no action and no IP', async () => {
      const t = token();
      await verifier.verify(t);
      expect(JSON.parse(lastRequest().rawBody)).toEqual({ event: { token: t, siteKey: SITE_KEY } });
    });

    it('uses a verifyUrl without {projectId} as it is, appending the key to its query', async () => {
      const custom = await build({
        verifyUrl: `${fake.url}/v1/projects/${PROJECT}/assessments?alt=json`,
      });
      expect((await custom.verify(token())).success).toBe(true);
      expect(lastRequest().url).toBe(`/v1/projects/${PROJECT}/assessments?alt=json&key=${API_KEY}`);
    });

    it('percent-encodes the API key in the query', async () => {
      const odd = await build({ secretKey: 'key+with/odd=chars' });
      await unavailable(odd.verify(token()));
      expect(lastRequest().url).toContain('?key=key%2Bwith%2Fodd%3Dchars');
    });
  });

  describe('invalid reasons', () => {
    it('answers BROWSER_ERROR (a minted browser-side error) as invalid', async () => {
      const t = fake.issueToken({
        provider: 'recaptcha-enterprise',
        invalidReason: 'BROWSER_ERROR',
      });
      expect(await verifier.verify(t)).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['BROWSER_ERROR'],
      });
    });

    it('fails a token made for another site key as invalid (INVALID_REASON_UNSPECIFIED)', async () => {
      const t = fake.issueToken({ provider: 'recaptcha-enterprise', siteKey: '6LotherSiteKey' });
      expect(await verifier.verify(t)).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['INVALID_REASON_UNSPECIFIED'],
      });
    });
  });

  describe('defensive parsing (Google leaves out fields at their default value)', () => {
    it('reads a tokenProperties without valid as a failure', async () => {
      fake.fault('recaptcha-enterprise', {
        status: 200,
        body: assessment({ tokenProperties: { invalidReason: 'EXPIRED' } }),
        times: 1,
      });
      expect(await verifier.verify(token())).toMatchObject({ success: false, reason: 'expired' });
    });

    it('reads an empty tokenProperties as invalid, never a pass', async () => {
      fake.fault('recaptcha-enterprise', {
        status: 200,
        body: assessment({ tokenProperties: {} }),
        times: 1,
      });
      expect(await verifier.verify(token())).toMatchObject({
        success: false,
        reason: 'invalid',
        errorCodes: ['INVALID_REASON_UNSPECIFIED'],
      });
    });

    it('reads a riskAnalysis without score as 0 (score_too_low)', async () => {
      fake.fault('recaptcha-enterprise', {
        status: 200,
        body: assessment({
          tokenProperties: { valid: true, hostname: 'localhost', action: 'login' },
          riskAnalysis: { reasons: ['AUTOMATION'] },
        }),
        times: 1,
      });
      expect(await verifier.verify(token(), { action: 'login' })).toMatchObject({
        success: false,
        reason: 'score_too_low',
        score: 0,
        reasons: ['AUTOMATION'],
      });
    });

    it('reads a missing action as "" so it cannot match an expected one', async () => {
      fake.fault('recaptcha-enterprise', {
        status: 200,
        body: assessment({
          tokenProperties: { valid: true, hostname: 'localhost' },
          riskAnalysis: { score: 0.9 },
        }),
        times: 1,
      });
      expect(await verifier.verify(token(), { action: 'login' })).toMatchObject({
        success: false,
        reason: 'action_mismatch',
        action: '',
      });
    });

    it('reads a numeric string score and ignores odd reasons and a bad createTime', async () => {
      fake.fault('recaptcha-enterprise', {
        status: 200,
        body: assessment({
          tokenProperties: { valid: true, hostname: 'localhost', createTime: 'not a time' },
          riskAnalysis: { score: '0.7', reasons: ['AUTOMATION', 42, null] },
        }),
        times: 1,
      });
      const v = await verifier.verify(token());
      expect(v).toMatchObject({ success: true, score: 0.7, reasons: ['AUTOMATION'] });
      expect(v.challengeTs).toBeUndefined();
    });

    it('passes a valid token without riskAnalysis under the module default only', async () => {
      fake.fault('recaptcha-enterprise', {
        status: 200,
        body: assessment({ tokenProperties: { valid: true, hostname: 'localhost' } }),
        times: 2,
      });
      expect(await verifier.verify(token())).toMatchObject({ success: true, reasons: [] });
      expect(await verifier.verify(token(), { minScore: 0.5 })).toMatchObject({
        success: false,
        reason: 'score_too_low',
      });
    });

    it.each([
      ['an empty object', '{}'],
      ['no tokenProperties', assessment({ riskAnalysis: { score: 0.9 } })],
      ['tokenProperties as an array', assessment({ tokenProperties: [true] })],
      ['tokenProperties null', assessment({ tokenProperties: null })],
      ['a JSON array', '[]'],
      ['an HTML page', '<html>oops</html>'],
    ])('treats a reply with %s as a bad_response outage, never a pass', async (_what, body) => {
      fake.fault('recaptcha-enterprise', { status: 200, body, times: 1 });
      const error = await unavailable(verifier.verify(token()));
      expect(error).toMatchObject({ provider: 'recaptcha-enterprise', kind: 'bad_response' });
    });
  });

  describe('our own configuration refused (Google error envelope)', () => {
    it('throws misconfigured on a project the key may not use (403 PERMISSION_DENIED)', async () => {
      const bad = await build({ projectId: 'someone-elses-project' });
      const error = await unavailable(bad.verify(token()));
      expect(error).toMatchObject({
        kind: 'misconfigured',
        details: { status: 403, errorCodes: ['PERMISSION_DENIED'] },
      });
      expect(lastRequest().path).toBe('/v1/projects/someone-elses-project/assessments');
    });

    it('throws misconfigured on a 403 without an envelope', async () => {
      fake.fault('recaptcha-enterprise', { status: 403, body: 'Forbidden', times: 1 });
      const error = await unavailable(verifier.verify(token()));
      expect(error).toMatchObject({ kind: 'misconfigured', details: { errorCodes: ['HTTP_403'] } });
    });

    it('reads another 4xx as misconfigured (a refused request), not an outage', async () => {
      fake.fault('recaptcha-enterprise', { status: 409, times: 1 });
      const error = await unavailable(verifier.verify(token()));
      expect(error).toMatchObject({ kind: 'misconfigured', reason: 'misconfigured' });
    });

    it('refuses to start without a project id', async () => {
      await expect(createVerifier(options({ projectId: undefined }))).rejects.toThrow(
        CaptchaConfigError,
      );
    });
  });

  describe('policy', () => {
    it('sends expectedAction but holds the action itself (Google does not fail a mismatch)', async () => {
      const v = await verifier.verify(token(0.9, 'signup'), { action: 'login' });
      expect(v).toMatchObject({ success: false, reason: 'action_mismatch', action: 'signup' });
      expect(JSON.parse(lastRequest().rawBody).event.expectedAction).toBe('login');
    });

    it('holds the score to minScore (0.1 fails the default 0.5, reasons included)', async () => {
      expect(
        await verifier.verify(token(0.1, 'login', 'localhost', ['AUTOMATION', 'TOO_MUCH_TRAFFIC'])),
      ).toMatchObject({
        success: false,
        reason: 'score_too_low',
        score: 0.1,
        reasons: ['AUTOMATION', 'TOO_MUCH_TRAFFIC'],
      });
      expect((await verifier.verify(token(0.5))).success).toBe(true);
      expect(await verifier.verify(token(0.7), { minScore: 0.8 })).toMatchObject({
        reason: 'score_too_low',
      });
    });
  });

  describe('outages', () => {
    it('reads 429 RESOURCE_EXHAUSTED as an outage, not retried', async () => {
      fake.fault('recaptcha-enterprise', { status: 429, times: 1 });
      const before = fake.requests.length;
      const error = await unavailable(verifier.verify(token()));
      expect(error).toMatchObject({
        kind: 'http_4xx',
        reason: 'provider_unavailable',
        details: { status: 429 },
      });
      expect(fake.requests.length).toBe(before + 1);
    });
  });
});
