import { FakeCaptchaServer, type FakeProviderName } from '../../lib/testing';
import { answeredWithin, until } from '../support/eventually';

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: Json;
}

const { secrets, siteKeys, testKeys } = FakeCaptchaServer;

describe('FakeCaptchaServer', () => {
  let server: FakeCaptchaServer;

  beforeAll(async () => {
    server = await FakeCaptchaServer.start();
  });

  afterEach(() => {
    server.reset();
    server.hcaptchaLegacyDuplicateCode = false;
  });

  afterAll(async () => {
    await server.close();
  });

  async function read(response: Response): Promise<Answer> {
    const text = await response.text();
    let body: Json = {};
    try {
      body = JSON.parse(text) as Json;
    } catch {
      // Non-JSON fault bodies are asserted through `text`.
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text,
      body,
    };
  }

  function postForm(
    provider: FakeProviderName,
    fields: Record<string, string>,
    init: RequestInit = {},
  ): Promise<Answer> {
    return fetch(server.verifyUrl(provider), {
      method: 'POST',
      body: new URLSearchParams(fields),
      ...init,
    }).then(read);
  }

  function postJson(provider: FakeProviderName, fields: Json): Promise<Answer> {
    return fetch(server.verifyUrl(provider), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fields),
    }).then(read);
  }

  function postMultipart(provider: FakeProviderName, fields: Record<string, string>) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    return fetch(server.verifyUrl(provider), { method: 'POST', body: form }).then(read);
  }

  function postRaw(provider: FakeProviderName, contentType: string, body: string) {
    return fetch(server.verifyUrl(provider), {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    }).then(read);
  }

  const ISO_WITH_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
  const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

  describe('server', () => {
    it('listens on 127.0.0.1 and exposes the real verify paths', () => {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.verifyUrl('turnstile')).toBe(`${server.url}/turnstile/v0/siteverify`);
      expect(server.verifyUrl('recaptcha')).toBe(`${server.url}/recaptcha/api/siteverify`);
      expect(server.verifyUrl('hcaptcha')).toBe(`${server.url}/siteverify`);
    });

    it('listens where asked (port, host) and can leave requests unrecorded', async () => {
      const quiet = await FakeCaptchaServer.start({ host: '127.0.0.1', recordRequests: false });
      try {
        const port = Number(new URL(quiet.url).port);
        const again = FakeCaptchaServer.start({ port });
        await expect(again).rejects.toMatchObject({ code: 'EADDRINUSE' });
        const token = quiet.issueToken({ provider: 'turnstile' });
        const answer = await fetch(quiet.verifyUrl('turnstile'), {
          method: 'POST',
          body: new URLSearchParams({
            secret: FakeCaptchaServer.secrets.turnstile,
            response: token,
          }),
        });
        expect(await answer.json()).toMatchObject({ success: true });
        expect(quiet.requests).toEqual([]);
      } finally {
        await quiet.close();
      }
    });

    it('mints over HTTP: POST /__fake/token answers a token the verify route accepts once', async () => {
      const minted = await fetch(`${server.url}/__fake/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'recaptcha', action: 'login', score: 0.7 }),
      });
      expect(minted.status).toBe(200);
      const { token } = (await minted.json()) as { token: string };
      const first = await postForm('recaptcha', {
        secret: FakeCaptchaServer.secrets.recaptcha,
        response: token,
      });
      expect(first.body).toMatchObject({ success: true, action: 'login', score: 0.7 });
      const replay = await postForm('recaptcha', {
        secret: FakeCaptchaServer.secrets.recaptcha,
        response: token,
      });
      expect(replay.body).toMatchObject({
        success: false,
        'error-codes': ['timeout-or-duplicate'],
      });
    });

    it('answers unknown paths with a 404 JSON body', async () => {
      const answer = await read(await fetch(`${server.url}/nope`, { method: 'POST' }));
      expect(answer.status).toBe(404);
      expect(answer.contentType).toContain('application/json');
      expect(answer.body).toMatchObject({ error: 'not_found' });
    });

    it('answers GET on a verify path with 405 and Allow: POST', async () => {
      const response = await fetch(server.verifyUrl('turnstile'));
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toMatchObject({ error: 'method_not_allowed' });
      expect(server.requests).toHaveLength(0);
    });

    it('refuses bodies over 1 MB with 413 and keeps serving', async () => {
      const big = await postRaw('turnstile', 'application/json', 'x'.repeat(1024 * 1024 + 1));
      expect(big.status).toBe(413);
      expect(server.requests).toHaveLength(0);
      const after = await postForm('turnstile', {});
      expect(after.body['error-codes']).toEqual(['missing-input-secret']);
    });

    it('survives garbage bodies in every encoding', async () => {
      const answers = await Promise.all([
        postRaw('turnstile', 'application/json', '{"secret": '),
        postRaw('turnstile', 'application/json', '[1,2,3]'),
        postRaw('turnstile', 'multipart/form-data', 'no boundary at all'),
        postRaw('turnstile', 'multipart/form-data; boundary=abc', '--abc\r\ngarbage'),
        postRaw('hcaptcha', 'application/x-www-form-urlencoded', '%%%&&&==\u0000'),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(answers.slice(0, 4).map((a) => a.body['error-codes'])).toEqual([
        ['bad-request'],
        ['bad-request'],
        ['bad-request'],
        ['bad-request'],
      ]);
      expect(answers[4]?.body['error-codes']).toEqual(['missing-input-secret']);
    });

    it('records every verify request with its wire format', async () => {
      const token = server.issueToken({ provider: 'recaptcha' });
      await postForm(
        'recaptcha',
        { secret: secrets.recaptcha, response: token, remoteip: '203.0.113.7' },
        { headers: { 'x-trace': 'abc' } },
      );
      await postJson('turnstile', { secret: 's', response: 't', extra: 5 });
      expect(server.requests).toHaveLength(2);
      const [form, json] = server.requests;
      expect(form).toMatchObject({
        provider: 'recaptcha',
        method: 'POST',
        path: '/recaptcha/api/siteverify',
        form: { secret: secrets.recaptcha, response: token, remoteip: '203.0.113.7' },
      });
      expect(form?.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      expect(form?.headers['x-trace']).toBe('abc');
      expect(form?.rawBody).toBe(
        new URLSearchParams({
          secret: secrets.recaptcha,
          response: token,
          remoteip: '203.0.113.7',
        }).toString(),
      );
      expect(json).toMatchObject({
        provider: 'turnstile',
        contentType: 'application/json',
        form: { secret: 's', response: 't', extra: '5' },
        rawBody: '{"secret":"s","response":"t","extra":5}',
      });
    });

    it('keeps a field named __proto__ as a plain field', async () => {
      await postRaw('turnstile', 'application/x-www-form-urlencoded', '__proto__=x&secret=s');
      const form = server.requests[0]?.form;
      expect(Object.getPrototypeOf(form)).toBe(Object.prototype);
      expect(Object.keys(form ?? {})).toEqual(['__proto__', 'secret']);
    });

    it('reset() forgets tokens, requests, faults and the clock offset', async () => {
      const token = server.issueToken({ provider: 'turnstile' });
      server.fault('turnstile', { status: 500 });
      server.advanceClock(10 * 60_000);
      await postForm('turnstile', {});
      server.reset();
      expect(server.requests).toHaveLength(0);
      const answer = await postForm('turnstile', { secret: secrets.turnstile, response: token });
      expect(answer.status).toBe(200);
      expect(answer.body['error-codes']).toEqual(['invalid-input-response']);
      const fresh = server.issueToken({ provider: 'turnstile' });
      const ok = await postForm('turnstile', { secret: secrets.turnstile, response: fresh });
      expect(Date.parse(ok.body['challenge_ts'] as string)).toBeLessThan(Date.now() + 60_000);
    });

    it('uses the injected clock and moves it with advanceClock', async () => {
      let now = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
      const clocked = await FakeCaptchaServer.start({ now: () => now });
      try {
        const token = clocked.issueToken({ provider: 'turnstile' });
        const recaptcha = clocked.issueToken({ provider: 'recaptcha' });
        now += 100_000;
        clocked.advanceClock(200_000); // exactly Turnstile's 300 s: still good
        const post = (provider: FakeProviderName, response: string) =>
          fetch(clocked.verifyUrl(provider), {
            method: 'POST',
            body: new URLSearchParams({ secret: secrets[provider], response }),
          }).then(read);
        const ok = await post('turnstile', token);
        expect(ok.body).toMatchObject({ success: true, challenge_ts: '2030-01-02T03:04:05.678Z' });
        const late = await post('recaptcha', recaptcha);
        expect(late.body['error-codes']).toEqual(['timeout-or-duplicate']);
      } finally {
        await clocked.close();
      }
    });

    it('rejects unusable issueToken and fault options', () => {
      expect(() => server.issueToken({ provider: 'recaptcha', score: 1.5 })).toThrow(RangeError);
      expect(() => server.issueToken({ provider: 'turnstile', ttlSeconds: -1 })).toThrow(
        RangeError,
      );
      expect(() => server.issueToken({ provider: 'nope' as FakeProviderName })).toThrow(TypeError);
      expect(() => server.fault('turnstile', {})).toThrow(TypeError);
      expect(() => server.fault('turnstile', { status: 500, times: 0 })).toThrow(RangeError);
      expect(() => server.fault('turnstile', { status: 42 })).toThrow(RangeError);
      expect(() => server.advanceClock(Number.NaN)).toThrow(RangeError);
    });

    it('close() ends hanging and keep-alive connections', async () => {
      const other = await FakeCaptchaServer.start();
      other.fault('turnstile', { hang: true });
      const hanging = fetch(other.verifyUrl('turnstile'), { method: 'POST', body: 'a=b' });
      hanging.catch(() => undefined);
      await until(() => other.requests.length === 1, 'the hanging request arriving');
      // A guard against a hang: close() must not wait for the hanging connection to end.
      await answeredWithin(other.close(), 'close() with a hanging connection', 2_000);
      await expect(hanging).rejects.toThrow();
      await expect(fetch(other.verifyUrl('turnstile'), { method: 'POST' })).rejects.toThrow();
    });
  });

  describe('turnstile', () => {
    const secret = secrets.turnstile;

    it('verifies a minted token once and echoes its data (form body)', async () => {
      const token = server.issueToken({
        provider: 'turnstile',
        action: 'login',
        cdata: 'session-42',
        hostname: 'app.example.com',
      });
      expect(token.length).toBeLessThanOrEqual(2048);
      const answer = await postForm('turnstile', { secret, response: token });
      expect(answer.status).toBe(200);
      expect(answer.contentType).toContain('application/json');
      expect(answer.body).toMatchObject({
        success: true,
        hostname: 'app.example.com',
        action: 'login',
        cdata: 'session-42',
        'error-codes': [],
      });
      expect(answer.body['challenge_ts']).toMatch(ISO_WITH_MS);
      expect(Math.abs(Date.parse(answer.body['challenge_ts'] as string) - Date.now())).toBeLessThan(
        5_000,
      );
    });

    it('defaults hostname to localhost and action/cdata to empty strings', async () => {
      const token = server.issueToken({ provider: 'turnstile' });
      const answer = await postForm('turnstile', { secret, response: token });
      expect(answer.body).toMatchObject({ hostname: 'localhost', action: '', cdata: '' });
    });

    it('accepts a JSON body', async () => {
      const token = server.issueToken({ provider: 'turnstile', action: 'signup' });
      const answer = await postJson('turnstile', { secret, response: token });
      expect(answer.body).toMatchObject({ success: true, action: 'signup' });
    });

    it('accepts a multipart body', async () => {
      const token = server.issueToken({ provider: 'turnstile' });
      const answer = await postMultipart('turnstile', { secret, response: token });
      expect(answer.body).toMatchObject({ success: true });
      expect(server.requests[0]?.contentType).toMatch(/^multipart\/form-data; boundary=/);
      expect(server.requests[0]?.form).toEqual({ secret, response: token });
    });

    it('answers bad-request for another content type', async () => {
      const token = server.issueToken({ provider: 'turnstile' });
      const answer = await postRaw('turnstile', 'text/plain', `secret=${secret}&response=${token}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ success: false, 'error-codes': ['bad-request'] });
    });

    it('answers missing-input-secret', async () => {
      const answer = await postForm('turnstile', { response: 'x' });
      expect(answer.body).toEqual({ success: false, 'error-codes': ['missing-input-secret'] });
    });

    it('answers invalid-input-secret for an unknown secret (and another provider’s)', async () => {
      const token = server.issueToken({ provider: 'turnstile' });
      const unknown = await postForm('turnstile', { secret: '0x4AAAAAAAwrong', response: token });
      const foreign = await postForm('turnstile', { secret: secrets.hcaptcha, response: token });
      expect(unknown.body['error-codes']).toEqual(['invalid-input-secret']);
      expect(foreign.body['error-codes']).toEqual(['invalid-input-secret']);
    });

    it('answers missing-input-response', async () => {
      const answer = await postForm('turnstile', { secret });
      expect(answer.body).toEqual({ success: false, 'error-codes': ['missing-input-response'] });
    });

    it('answers invalid-input-response for an unknown token', async () => {
      const answer = await postForm('turnstile', { secret, response: 'forged.token' });
      expect(answer.body['error-codes']).toEqual(['invalid-input-response']);
    });

    it('answers invalid-input-response for a token over 2048 characters', async () => {
      const answer = await postForm('turnstile', { secret, response: 'a'.repeat(2049) });
      expect(answer.body['error-codes']).toEqual(['invalid-input-response']);
    });

    it('answers timeout-or-duplicate on a second redeem', async () => {
      const token = server.issueToken({ provider: 'turnstile' });
      expect((await postForm('turnstile', { secret, response: token })).body['success']).toBe(true);
      const again = await postForm('turnstile', { secret, response: token });
      expect(again.body).toEqual({ success: false, 'error-codes': ['timeout-or-duplicate'] });
    });

    it('expires tokens after 300 s', async () => {
      const onTime = server.issueToken({ provider: 'turnstile' });
      const late = server.issueToken({ provider: 'turnstile' });
      server.advanceClock(299_000);
      expect((await postForm('turnstile', { secret, response: onTime })).body['success']).toBe(
        true,
      );
      server.advanceClock(1_001);
      const answer = await postForm('turnstile', { secret, response: late });
      expect(answer.body['error-codes']).toEqual(['timeout-or-duplicate']);
    });

    it('honours a ttlSeconds override', async () => {
      const token = server.issueToken({ provider: 'turnstile', ttlSeconds: 10 });
      server.advanceClock(10_001);
      const answer = await postForm('turnstile', { secret, response: token });
      expect(answer.body['error-codes']).toEqual(['timeout-or-duplicate']);
    });

    it('replays the first verdict exactly for the same token and idempotency_key', async () => {
      const token = server.issueToken({ provider: 'turnstile', action: 'login' });
      const key = '6f1c9f0e-1c8b-4a5e-9d0b-3f1a2b3c4d5e';
      const first = await postForm('turnstile', { secret, response: token, idempotency_key: key });
      server.advanceClock(1_000);
      const retry = await postForm('turnstile', { secret, response: token, idempotency_key: key });
      expect(first.body['success']).toBe(true);
      expect(retry.text).toBe(first.text);
      const otherKey = await postForm('turnstile', {
        secret,
        response: token,
        idempotency_key: '00000000-0000-4000-8000-000000000000',
      });
      expect(otherKey.body['error-codes']).toEqual(['timeout-or-duplicate']);
      const noKey = await postForm('turnstile', { secret, response: token });
      expect(noKey.body['error-codes']).toEqual(['timeout-or-duplicate']);
    });

    it('replays a failure verdict too', async () => {
      const key = 'a6d2b0de-0000-4000-8000-000000000001';
      const first = await postForm('turnstile', { secret, response: 'nope', idempotency_key: key });
      const retry = await postJson('turnstile', { secret, response: 'nope', idempotency_key: key });
      expect(first.body['error-codes']).toEqual(['invalid-input-response']);
      expect(retry.text).toBe(first.text);
    });

    describe('dummy keys', () => {
      const { secrets: dummy, dummyToken } = testKeys.turnstile;

      it('1x secret passes the dummy token with the documented test body', async () => {
        const answer = await postForm('turnstile', {
          secret: dummy.alwaysPasses,
          response: dummyToken,
        });
        expect(answer.body).toMatchObject({
          success: true,
          hostname: 'localhost',
          action: 'test',
          cdata: 'test-data',
          'error-codes': [],
          metadata: { result_with_testing_key: true },
        });
        expect(answer.body['challenge_ts']).toMatch(ISO_WITH_MS);
        const again = await postForm('turnstile', {
          secret: dummy.alwaysPasses,
          response: dummyToken,
        });
        expect(again.body['success']).toBe(true);
      });

      it('2x secret always fails with invalid-input-response', async () => {
        const answer = await postForm('turnstile', {
          secret: dummy.alwaysFails,
          response: dummyToken,
        });
        expect(answer.body).toEqual({
          success: false,
          'error-codes': ['invalid-input-response'],
          metadata: { result_with_testing_key: true },
        });
      });

      it('3x secret always fails with timeout-or-duplicate', async () => {
        const answer = await postForm('turnstile', {
          secret: dummy.tokenAlreadySpent,
          response: dummyToken,
        });
        expect(answer.body).toMatchObject({
          success: false,
          'error-codes': ['timeout-or-duplicate'],
        });
      });

      it('dummy secret + real token → invalid-input-secret', async () => {
        const token = server.issueToken({ provider: 'turnstile' });
        const answer = await postForm('turnstile', { secret: dummy.alwaysPasses, response: token });
        expect(answer.body['error-codes']).toEqual(['invalid-input-secret']);
      });

      it('real secret + dummy token → invalid-input-response', async () => {
        const answer = await postForm('turnstile', { secret, response: dummyToken });
        expect(answer.body['error-codes']).toEqual(['invalid-input-response']);
      });

      it('exposes the official site keys', () => {
        expect(testKeys.turnstile.siteKeys.alwaysPasses).toBe('1x00000000000000000000AA');
        expect(testKeys.turnstile.siteKeys.forcesInteractiveChallenge).toBe(
          '3x00000000000000000000FF',
        );
        expect(siteKeys.turnstile).toMatch(/^0x4AAAAAAA/);
      });
    });
  });

  describe('recaptcha', () => {
    const secret = secrets.recaptcha;

    it('answers a v2 token without score or action', async () => {
      const token = server.issueToken({ provider: 'recaptcha', hostname: 'shop.example.com' });
      const answer = await postForm('recaptcha', { secret, response: token });
      expect(answer.body).toEqual({
        success: true,
        challenge_ts: expect.stringMatching(ISO_SECONDS),
        hostname: 'shop.example.com',
      });
    });

    it('answers a v3 token with score and action', async () => {
      const token = server.issueToken({ provider: 'recaptcha', score: 0.1, action: 'login' });
      const answer = await postForm('recaptcha', { secret, response: token });
      expect(answer.body).toEqual({
        success: true,
        challenge_ts: expect.stringMatching(ISO_SECONDS),
        hostname: 'localhost',
        score: 0.1,
        action: 'login',
      });
    });

    it('rejects a JSON body as invalid-input-response without spending the token', async () => {
      const token = server.issueToken({ provider: 'recaptcha', score: 0.9 });
      const json = await postJson('recaptcha', { secret, response: token });
      expect(json.body).toEqual({ success: false, 'error-codes': ['invalid-input-response'] });
      expect(server.requests[0]?.form).toEqual({ secret, response: token });
      const form = await postForm('recaptcha', { secret, response: token });
      expect(form.body['success']).toBe(true);
    });

    it('rejects a multipart body', async () => {
      const token = server.issueToken({ provider: 'recaptcha' });
      const answer = await postMultipart('recaptcha', { secret, response: token });
      expect(answer.body['error-codes']).toEqual(['invalid-input-response']);
    });

    it('answers missing-input-secret', async () => {
      const answer = await postForm('recaptcha', { response: 'x' });
      expect(answer.body).toEqual({ success: false, 'error-codes': ['missing-input-secret'] });
    });

    it('answers invalid-input-secret', async () => {
      const token = server.issueToken({ provider: 'recaptcha' });
      const answer = await postForm('recaptcha', { secret: '6Lwrong', response: token });
      expect(answer.body['error-codes']).toEqual(['invalid-input-secret']);
    });

    it('answers missing-input-response', async () => {
      const answer = await postForm('recaptcha', { secret });
      expect(answer.body['error-codes']).toEqual(['missing-input-response']);
    });

    it('answers invalid-input-response for an unknown token', async () => {
      const answer = await postForm('recaptcha', { secret, response: '03Aforged' });
      expect(answer.body['error-codes']).toEqual(['invalid-input-response']);
    });

    it('answers timeout-or-duplicate on reuse', async () => {
      const token = server.issueToken({ provider: 'recaptcha' });
      await postForm('recaptcha', { secret, response: token });
      const again = await postForm('recaptcha', { secret, response: token });
      expect(again.body).toEqual({ success: false, 'error-codes': ['timeout-or-duplicate'] });
    });

    it('expires tokens after 120 s', async () => {
      const onTime = server.issueToken({ provider: 'recaptcha' });
      const late = server.issueToken({ provider: 'recaptcha' });
      server.advanceClock(119_000);
      expect((await postForm('recaptcha', { secret, response: onTime })).body['success']).toBe(
        true,
      );
      server.advanceClock(1_001);
      const answer = await postForm('recaptcha', { secret, response: late });
      expect(answer.body['error-codes']).toEqual(['timeout-or-duplicate']);
    });

    it('test secret passes any response, reusable, as testkey.google.com', async () => {
      const fields = { secret: testKeys.recaptcha.secret, response: 'anything at all' };
      const first = await postForm('recaptcha', fields);
      const second = await postForm('recaptcha', fields);
      for (const answer of [first, second]) {
        expect(answer.body).toEqual({
          success: true,
          challenge_ts: expect.stringMatching(ISO_SECONDS),
          hostname: 'testkey.google.com',
        });
      }
      expect(testKeys.recaptcha.siteKey).toBe('6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI');
    });
  });

  describe('hcaptcha', () => {
    const secret = secrets.hcaptcha;

    it('mints P1_ tokens and verifies them once', async () => {
      const token = server.issueToken({ provider: 'hcaptcha', hostname: 'forum.example.com' });
      expect(token).toMatch(/^P1_eyJ/);
      const answer = await postForm('hcaptcha', { secret, response: token });
      expect(answer.body).toEqual({
        success: true,
        challenge_ts: expect.stringMatching(ISO_SECONDS),
        hostname: 'forum.example.com',
        credit: false,
      });
    });

    it('answers Enterprise score and score_reason for a scored token', async () => {
      const token = server.issueToken({
        provider: 'hcaptcha',
        score: 0.92,
        scoreReason: ['automation'],
      });
      const answer = await postForm('hcaptcha', { secret, response: token });
      expect(answer.body).toMatchObject({
        success: true,
        score: 0.92,
        score_reason: ['automation'],
      });
    });

    it('rejects a JSON body with bad-request', async () => {
      const token = server.issueToken({ provider: 'hcaptcha' });
      const answer = await postJson('hcaptcha', { secret, response: token });
      expect(answer.body).toEqual({ success: false, 'error-codes': ['bad-request'] });
    });

    it('answers missing-input-secret', async () => {
      const answer = await postForm('hcaptcha', { response: 'x' });
      expect(answer.body['error-codes']).toEqual(['missing-input-secret']);
    });

    it('answers invalid-input-secret', async () => {
      const token = server.issueToken({ provider: 'hcaptcha' });
      const answer = await postForm('hcaptcha', { secret: '0xwrong', response: token });
      expect(answer.body['error-codes']).toEqual(['invalid-input-secret']);
    });

    it('answers missing-input-response', async () => {
      const answer = await postForm('hcaptcha', { secret });
      expect(answer.body['error-codes']).toEqual(['missing-input-response']);
    });

    it('answers invalid-input-response for an unknown token', async () => {
      const answer = await postForm('hcaptcha', { secret, response: 'P1_eyJforged' });
      expect(answer.body['error-codes']).toEqual(['invalid-input-response']);
    });

    it('answers expired-input-response after 120 s', async () => {
      const onTime = server.issueToken({ provider: 'hcaptcha' });
      const late = server.issueToken({ provider: 'hcaptcha' });
      server.advanceClock(119_000);
      expect((await postForm('hcaptcha', { secret, response: onTime })).body['success']).toBe(true);
      server.advanceClock(1_001);
      const answer = await postForm('hcaptcha', { secret, response: late });
      expect(answer.body).toEqual({ success: false, 'error-codes': ['expired-input-response'] });
    });

    it('answers already-seen-response on reuse', async () => {
      const token = server.issueToken({ provider: 'hcaptcha' });
      await postForm('hcaptcha', { secret, response: token });
      const again = await postForm('hcaptcha', { secret, response: token });
      expect(again.body).toEqual({ success: false, 'error-codes': ['already-seen-response'] });
    });

    it('answers invalid-or-already-seen-response on reuse in legacy mode', async () => {
      server.hcaptchaLegacyDuplicateCode = true;
      const token = server.issueToken({ provider: 'hcaptcha' });
      await postForm('hcaptcha', { secret, response: token });
      const again = await postForm('hcaptcha', { secret, response: token });
      expect(again.body['error-codes']).toEqual(['invalid-or-already-seen-response']);
    });

    it('checks the sitekey parameter against the token’s site key', async () => {
      const own = server.issueToken({ provider: 'hcaptcha' });
      const ok = await postForm('hcaptcha', { secret, response: own, sitekey: siteKeys.hcaptcha });
      expect(ok.body['success']).toBe(true);
      const other = server.issueToken({
        provider: 'hcaptcha',
        siteKey: 'aaaaaaaa-0000-4000-8000-000000000000',
      });
      const mismatch = await postForm('hcaptcha', {
        secret,
        response: other,
        sitekey: siteKeys.hcaptcha,
      });
      expect(mismatch.body).toEqual({ success: false, 'error-codes': ['sitekey-secret-mismatch'] });
    });

    it('answers invalid-remoteip for a remoteip that is not an IP', async () => {
      const token = server.issueToken({ provider: 'hcaptcha' });
      const bad = await postForm('hcaptcha', { secret, response: token, remoteip: 'not-an-ip' });
      expect(bad.body['error-codes']).toEqual(['invalid-remoteip']);
      const ok = await postForm('hcaptcha', { secret, response: token, remoteip: '2001:db8::1' });
      expect(ok.body['success']).toBe(true);
    });

    describe('test keys', () => {
      const { publisher, enterpriseSafeUser, enterpriseBotDetected } = testKeys.hcaptcha;
      const testSecret = testKeys.hcaptcha.secret;

      it('test secret passes the publisher test token, reusable', async () => {
        const fields = {
          secret: testSecret,
          response: publisher.token,
          sitekey: publisher.siteKey,
        };
        const first = await postForm('hcaptcha', fields);
        const second = await postForm('hcaptcha', fields);
        expect(first.body).toMatchObject({ success: true, hostname: 'dummy-key-pass' });
        expect(first.body).not.toHaveProperty('score');
        expect(second.body['success']).toBe(true);
      });

      it('the bot-detected key passes with a higher score than the safe one', async () => {
        const safe = await postForm('hcaptcha', {
          secret: testSecret,
          response: enterpriseSafeUser.token,
        });
        const bot = await postForm('hcaptcha', {
          secret: testSecret,
          response: enterpriseBotDetected.token,
        });
        expect(safe.body['success']).toBe(true);
        expect(bot.body['success']).toBe(true);
        expect(bot.body['score'] as number).toBeGreaterThan(safe.body['score'] as number);
        expect(Array.isArray(bot.body['score_reason'])).toBe(true);
      });

      it('test sitekey + a real secret → not-using-dummy-passcode', async () => {
        const token = server.issueToken({ provider: 'hcaptcha' });
        const answer = await postForm('hcaptcha', {
          secret,
          response: token,
          sitekey: publisher.siteKey,
        });
        expect(answer.body['error-codes']).toEqual(['not-using-dummy-passcode']);
      });

      it('test secret + a minted token → invalid-input-response', async () => {
        const token = server.issueToken({ provider: 'hcaptcha' });
        const answer = await postForm('hcaptcha', { secret: testSecret, response: token });
        expect(answer.body['error-codes']).toEqual(['invalid-input-response']);
      });

      it('test token with another test sitekey → sitekey-secret-mismatch', async () => {
        const answer = await postForm('hcaptcha', {
          secret: testSecret,
          response: publisher.token,
          sitekey: enterpriseBotDetected.siteKey,
        });
        expect(answer.body['error-codes']).toEqual(['sitekey-secret-mismatch']);
      });
    });
  });

  describe('faults', () => {
    it('answers an injected status with the default internal-error body, N times', async () => {
      server.fault('recaptcha', { status: 503, times: 1 });
      const token = server.issueToken({ provider: 'recaptcha' });
      const fields = { secret: secrets.recaptcha, response: token };
      const faulted = await postForm('recaptcha', fields);
      expect(faulted.status).toBe(503);
      expect(faulted.body).toEqual({ success: false, 'error-codes': ['internal-error'] });
      const normal = await postForm('recaptcha', fields);
      expect(normal.status).toBe(200);
      expect(normal.body['success']).toBe(true);
      expect(server.requests).toHaveLength(2);
    });

    it('sends a raw non-JSON body with its content type', async () => {
      server.fault('hcaptcha', { status: 502, body: '<html>oops', contentType: 'text/html' });
      const answer = await postForm('hcaptcha', { secret: secrets.hcaptcha, response: 'x' });
      expect(answer.status).toBe(502);
      expect(answer.contentType).toBe('text/html');
      expect(answer.text).toBe('<html>oops');
    });

    it('Turnstile internal-error at HTTP 200, then the idempotent retry succeeds', async () => {
      server.fault('turnstile', {
        body: '{"success":false,"error-codes":["internal-error"]}',
        times: 1,
      });
      const token = server.issueToken({ provider: 'turnstile' });
      const fields = { secret: secrets.turnstile, response: token, idempotency_key: 'k-1' };
      const first = await postForm('turnstile', fields);
      expect(first.status).toBe(200);
      expect(first.body['error-codes']).toEqual(['internal-error']);
      const retry = await postForm('turnstile', fields);
      expect(retry.body).toMatchObject({ success: true, 'error-codes': [] });
    });

    it('applies faults per provider only', async () => {
      server.fault('turnstile', { status: 500 });
      const token = server.issueToken({ provider: 'recaptcha' });
      const other = await postForm('recaptcha', { secret: secrets.recaptcha, response: token });
      expect(other.status).toBe(200);
      expect((await postForm('turnstile', {})).status).toBe(500);
    });

    it('applies queued faults in order and keeps an unlimited one until clearFaults()', async () => {
      server.fault('turnstile', { status: 429, times: 1 });
      server.fault('turnstile', { status: 500 });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await postForm('turnstile', {})).status);
      server.clearFaults();
      statuses.push((await postForm('turnstile', {})).status);
      expect(statuses).toEqual([429, 500, 500, 200]);
    });

    it('delays the answer (the verdict itself is normal)', async () => {
      server.fault('turnstile', { delayMs: 250, times: 1 });
      const token = server.issueToken({ provider: 'turnstile' });
      const started = Date.now();
      const answer = await postForm('turnstile', { secret: secrets.turnstile, response: token });
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
      expect(answer.body['success']).toBe(true);
    });

    it('a delay beyond the client timeout still spends the token; the keyed retry replays', async () => {
      server.fault('turnstile', { delayMs: 1_000, times: 1 });
      const token = server.issueToken({ provider: 'turnstile' });
      const fields = { secret: secrets.turnstile, response: token, idempotency_key: 'k-2' };
      await expect(
        postForm('turnstile', fields, { signal: AbortSignal.timeout(100) }),
      ).rejects.toThrow();
      const unkeyed = await postForm('turnstile', { secret: secrets.turnstile, response: token });
      expect(unkeyed.body['error-codes']).toEqual(['timeout-or-duplicate']);
      const keyed = await postForm('turnstile', fields);
      expect(keyed.body['success']).toBe(true);
    });

    it('delays a status fault too', async () => {
      server.fault('hcaptcha', { status: 504, delayMs: 150, times: 1 });
      const started = Date.now();
      const answer = await postForm('hcaptcha', {});
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(answer.status).toBe(504);
    });

    it('hangs until the client gives up', async () => {
      server.fault('recaptcha', { hang: true, times: 1 });
      const started = Date.now();
      const error = await postForm(
        'recaptcha',
        { secret: secrets.recaptcha, response: 'x' },
        { signal: AbortSignal.timeout(300) },
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DOMException);
      expect((error as DOMException).name).toBe('TimeoutError');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(server.requests).toHaveLength(1);
    });

    it('closes the connection without an answer', async () => {
      server.fault('hcaptcha', { closeConnection: true, times: 1 });
      const token = server.issueToken({ provider: 'hcaptcha' });
      const fields = { secret: secrets.hcaptcha, response: token };
      // fetch's TypeError comes from another realm than Jest's, so match the message.
      await expect(postForm('hcaptcha', fields)).rejects.toThrow('fetch failed');
      const next = await postForm('hcaptcha', fields);
      expect(next.body['success']).toBe(true);
    });
  });
});
