import { FakeCaptchaServer } from '../../lib/testing';

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  contentType: string;
  body: Json;
}

const { secrets, siteKeys, projectId } = FakeCaptchaServer;

async function read(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    // asserted through status
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
}

function post(url: string, body: string | URLSearchParams, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers, body }).then(read);
}

const json = (value: unknown) => JSON.stringify(value);

describe('FakeCaptchaServer: reCAPTCHA Enterprise, Friendly Captcha, CaptchaLa', () => {
  let server: FakeCaptchaServer;

  beforeAll(async () => {
    server = await FakeCaptchaServer.start();
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  describe('server', () => {
    it('exposes the real paths, with {projectId} left for the library to fill', () => {
      expect(server.verifyUrl('recaptcha-enterprise')).toBe(
        `${server.url}/v1/projects/{projectId}/assessments`,
      );
      expect(server.verifyUrl('friendly-captcha')).toBe(`${server.url}/api/v2/captcha/siteverify`);
      expect(server.endpointUrl('friendly-captcha', 'v1')).toBe(`${server.url}/api/v1/siteverify`);
      expect(server.verifyUrl('captchala')).toBe(`${server.url}/v1/validate`);
      expect(server.endpointUrl('captchala', 'backup')).toBe(`${server.url}/api/validate`);
      expect(server.endpointUrl('captchala', 'issue')).toBe(
        `${server.url}/v1/server/challenge/issue`,
      );
    });

    it('rejects unknown endpoints and out-of-range scores', () => {
      expect(() => server.endpointUrl('turnstile', 'v1')).toThrow(TypeError);
      expect(() => server.endpointUrl('captchala', 'toString')).toThrow(TypeError);
      expect(() => server.issueToken({ provider: 'recaptcha-enterprise', score: 1.1 })).toThrow(
        RangeError,
      );
      expect(() => server.issueToken({ provider: 'captchala', score: 101 })).toThrow(RangeError);
      expect(() => server.issueToken({ provider: 'captchala', score: -1 })).toThrow(RangeError);
    });

    it('answers 404 for a path under /v1/projects that is not an assessments path', async () => {
      const answer = await post(`${server.url}/v1/projects/${projectId}/keys`, '{}');
      expect(answer.status).toBe(404);
    });

    it('records the query string of each request', async () => {
      await post(assessmentsUrl(projectId, 'k'), json({}), { 'content-type': 'application/json' });
      expect(server.requests[0]).toMatchObject({
        provider: 'recaptcha-enterprise',
        path: `/v1/projects/${projectId}/assessments`,
        url: `/v1/projects/${projectId}/assessments?key=k`,
      });
    });
  });

  function assessmentsUrl(project: string, key?: string): string {
    const base = `${server.url}/v1/projects/${encodeURIComponent(project)}/assessments`;
    return key === undefined ? base : `${base}?key=${encodeURIComponent(key)}`;
  }

  describe('reCAPTCHA Enterprise', () => {
    const apiKey = secrets['recaptcha-enterprise'];
    const siteKey = siteKeys['recaptcha-enterprise'];
    const assess = (event: Json, key: string | null = apiKey, project = projectId) =>
      post(assessmentsUrl(project, key ?? undefined), json({ event }), {
        'content-type': 'application/json',
      });
    const issue = (extra: Json = {}) =>
      server.issueToken({ provider: 'recaptcha-enterprise', ...extra });

    it('assesses a minted token once, echoing the event and the token data', async () => {
      const token = issue({ action: 'login', hostname: 'app.example.com', score: 0.3 });
      const event = { token, siteKey, expectedAction: 'login', userIpAddress: '203.0.113.7' };
      const answer = await assess(event);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        name: expect.stringMatching(/^projects\/\d+\/assessments\/[0-9a-f]{16}$/),
        event,
        riskAnalysis: { score: 0.3, reasons: [], extendedVerdictReasons: [] },
        tokenProperties: {
          valid: true,
          invalidReason: 'INVALID_REASON_UNSPECIFIED',
          hostname: 'app.example.com',
          action: 'login',
          createTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      });
      const again = await assess(event);
      expect(again.body['tokenProperties']).toMatchObject({ valid: false, invalidReason: 'DUPE' });
    });

    it('defaults the score to 0.9 and answers the minted reasons', async () => {
      const token = issue({ scoreReason: ['AUTOMATION'] });
      const answer = await assess({ token, siteKey });
      expect(answer.body['riskAnalysis']).toMatchObject({ score: 0.9, reasons: ['AUTOMATION'] });
    });

    it('never fails a token on an expectedAction mismatch', async () => {
      const token = issue({ action: 'signup' });
      const answer = await assess({ token, siteKey, expectedAction: 'login' });
      expect(answer.body['tokenProperties']).toMatchObject({ valid: true, action: 'signup' });
    });

    it.each<[string, () => Json, string]>([
      ['an empty token', () => ({ token: '', siteKey }), 'MISSING'],
      ['no token', () => ({ siteKey }), 'MISSING'],
      ['a token it never minted', () => ({ token: '03Aforged', siteKey }), 'MALFORMED'],
      [
        'a token of another site key',
        () => ({ token: issue({ siteKey: '6Lother' }), siteKey }),
        'INVALID_REASON_UNSPECIFIED',
      ],
      [
        'a minted browser error',
        () => ({ token: issue({ invalidReason: 'BROWSER_ERROR' }), siteKey }),
        'BROWSER_ERROR',
      ],
    ])('answers valid:false for %s (%s) at HTTP 200', async (_what, event, invalidReason) => {
      const answer = await assess(event());
      expect(answer.status).toBe(200);
      expect(answer.body['tokenProperties']).toMatchObject({ valid: false, invalidReason });
      expect(answer.body['riskAnalysis']).toMatchObject({ score: 0, reasons: [] });
    });

    it('expires tokens after 120 s', async () => {
      const onTime = issue();
      const late = issue();
      server.advanceClock(119_000);
      expect((await assess({ token: onTime, siteKey })).body['tokenProperties']).toMatchObject({
        valid: true,
      });
      server.advanceClock(2_000);
      expect((await assess({ token: late, siteKey })).body['tokenProperties']).toMatchObject({
        valid: false,
        invalidReason: 'EXPIRED',
      });
    });

    it.each<[string, () => Promise<Answer>, number, string]>([
      ['no key', () => assess({ token: 't', siteKey }, null), 403, 'PERMISSION_DENIED'],
      ['a wrong key', () => assess({ token: 't', siteKey }, 'AIzaWrong'), 400, 'INVALID_ARGUMENT'],
      [
        'a Bearer token (the fake takes API keys only)',
        () =>
          post(assessmentsUrl(projectId), json({ event: { token: 't', siteKey } }), {
            'content-type': 'application/json',
            authorization: 'Bearer ya29.fake',
          }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'another project',
        () => assess({ token: 't', siteKey }, apiKey, 'other-project'),
        403,
        'PERMISSION_DENIED',
      ],
      [
        'a form body',
        () => post(assessmentsUrl(projectId, apiKey), new URLSearchParams({ token: 't' })),
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'broken JSON',
        () =>
          post(assessmentsUrl(projectId, apiKey), '{"event":', {
            'content-type': 'application/json',
          }),
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'no event',
        () =>
          post(assessmentsUrl(projectId, apiKey), json({ token: 't' }), {
            'content-type': 'application/json',
          }),
        400,
        'INVALID_ARGUMENT',
      ],
      ['no siteKey', () => assess({ token: 't' }), 400, 'INVALID_ARGUMENT'],
    ])('answers %s with the Google error envelope', async (_what, call, status, googleStatus) => {
      const answer = await call();
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({
        error: { code: status, status: googleStatus, message: expect.any(String) },
      });
    });

    it('names API_KEY_INVALID in the details of a wrong key', async () => {
      const answer = await assess({ token: 't', siteKey }, 'AIzaWrong');
      expect(answer.body).toMatchObject({
        error: { details: [expect.objectContaining({ reason: 'API_KEY_INVALID' })] },
      });
    });

    it.each<[number, string]>([
      [429, 'RESOURCE_EXHAUSTED'],
      [503, 'UNAVAILABLE'],
    ])('answers an injected %i fault in the Google envelope (%s)', async (status, googleStatus) => {
      server.fault('recaptcha-enterprise', { status, times: 1 });
      const answer = await assess({ token: issue(), siteKey });
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ error: { code: status, status: googleStatus } });
    });
  });

  describe('Friendly Captcha v2', () => {
    const apiKey = secrets['friendly-captcha'];
    const siteKey = siteKeys['friendly-captcha'];
    const verify = (
      fields: Json,
      headers: Record<string, string> = { 'x-api-key': apiKey },
      body: string | URLSearchParams = json(fields),
    ) =>
      post(server.verifyUrl('friendly-captcha'), body, {
        ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      });
    const issue = (extra: Json = {}) =>
      server.issueToken({ provider: 'friendly-captcha', ...extra });
    const failure = (status: number, code: string) => ({
      status,
      body: { success: false, error: { error_code: code, detail: expect.any(String) } },
    });

    it('verifies a response once, with the challenge timestamp and origin', async () => {
      const token = issue({ hostname: 'app.example.com' });
      const answer = await verify({ response: token, sitekey: siteKey });
      expect(answer).toMatchObject({
        status: 200,
        body: {
          success: true,
          data: {
            event_id: expect.stringMatching(/^ev_/),
            challenge: {
              timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
              origin: 'https://app.example.com',
            },
            risk_intelligence: null,
          },
        },
      });
      expect(await verify({ response: token })).toMatchObject(failure(200, 'response_duplicate'));
    });

    it('answers an empty origin for a token minted with an empty hostname', async () => {
      const answer = await verify({ response: issue({ hostname: '' }) });
      expect(answer.body).toMatchObject({ data: { challenge: { origin: '' } } });
    });

    it('accepts a form body', async () => {
      const answer = await verify(
        {},
        { 'x-api-key': apiKey },
        new URLSearchParams({ response: issue() }),
      );
      expect(answer.body).toMatchObject({ success: true });
    });

    it.each<[string, () => Promise<Answer>, number, string]>([
      ['no X-API-Key', () => verify({ response: 'x' }, {}), 401, 'auth_required'],
      [
        'a wrong X-API-Key',
        () => verify({ response: 'x' }, { 'x-api-key': 'nope' }),
        401,
        'auth_invalid',
      ],
      ['an empty body', () => verify({}, { 'x-api-key': apiKey }, ''), 400, 'bad_request'],
      [
        'broken JSON',
        () => verify({}, { 'x-api-key': apiKey }, '{"response":'),
        400,
        'bad_request',
      ],
      ['no response', () => verify({ sitekey: siteKey }), 400, 'response_missing'],
      ['a response over 16 KB', () => verify({ response: 'a'.repeat(16_385) }), 400, 'bad_request'],
      [
        'a sitekey not of the account',
        () => verify({ response: 'x', sitekey: 'FCMOTHER' }),
        400,
        'sitekey_invalid',
      ],
      ['an unknown response', () => verify({ response: 'forged' }), 200, 'response_invalid'],
      ['a v1 solution', () => verify({ response: issue({ version: 1 }) }), 200, 'response_invalid'],
      [
        'a token of another site key',
        () => verify({ response: issue({ siteKey: 'FCMOTHER' }), sitekey: siteKey }),
        200,
        'response_invalid',
      ],
    ])('answers %s with %i %s', async (_what, call, status, code) => {
      expect(await call()).toMatchObject(failure(status, code));
    });

    it('times a response out after 600 s (response_timeout)', async () => {
      const onTime = issue();
      const late = issue();
      server.advanceClock(599_000);
      expect((await verify({ response: onTime })).body).toMatchObject({ success: true });
      server.advanceClock(2_000);
      expect(await verify({ response: late })).toMatchObject(failure(200, 'response_timeout'));
    });

    it('answers GET with 405 method_not_allowed in its own shape', async () => {
      const answer = await fetch(server.verifyUrl('friendly-captcha')).then(read);
      expect(answer).toMatchObject(failure(405, 'method_not_allowed'));
      expect(server.requests).toHaveLength(0);
    });

    it('answers an injected 500 fault in its error shape', async () => {
      server.fault('friendly-captcha', { status: 500, times: 1 });
      expect(await verify({ response: issue() })).toMatchObject(failure(500, 'internal_error'));
    });
  });

  describe('Friendly Captcha v1', () => {
    const apiKey = secrets['friendly-captcha'];
    const verify = (fields: Record<string, string>, asJson = true) =>
      asJson
        ? post(server.endpointUrl('friendly-captcha', 'v1'), json(fields), {
            'content-type': 'application/json',
          })
        : post(server.endpointUrl('friendly-captcha', 'v1'), new URLSearchParams(fields));
    const solution = () => server.issueToken({ provider: 'friendly-captcha', version: 1 });

    it('verifies a solution once (JSON or form) and answers errors in `errors`', async () => {
      const s = solution();
      expect(await verify({ solution: s, secret: apiKey }, false)).toEqual({
        status: 200,
        contentType: expect.stringContaining('application/json'),
        body: { success: true },
      });
      expect((await verify({ solution: s, secret: apiKey })).body).toEqual({
        success: false,
        errors: ['solution_timeout_or_duplicate'],
      });
    });

    it.each<[string, Record<string, string> | null, number, string]>([
      ['no secret', { solution: 'x' }, 400, 'secret_missing'],
      ['a wrong secret', { solution: 'x', secret: 'nope' }, 401, 'secret_invalid'],
      ['no solution', { secret: secrets['friendly-captcha'] }, 400, 'solution_missing'],
      [
        'an unknown solution',
        { solution: 'forged', secret: secrets['friendly-captcha'] },
        200,
        'solution_invalid',
      ],
      ['an empty body', null, 400, 'bad_request'],
    ])('answers %s with %i %s', async (_what, fields, status, code) => {
      const answer = fields
        ? await verify(fields)
        : await post(server.endpointUrl('friendly-captcha', 'v1'), '', {});
      expect(answer).toMatchObject({ status, body: { success: false, errors: [code] } });
    });

    it('answers solution_invalid for a v2 response and solution_timeout_or_duplicate when expired', async () => {
      const v2 = server.issueToken({ provider: 'friendly-captcha' });
      expect((await verify({ solution: v2, secret: apiKey })).body).toMatchObject({
        errors: ['solution_invalid'],
      });
      const late = solution();
      server.advanceClock(601_000);
      expect((await verify({ solution: late, secret: apiKey })).body).toMatchObject({
        errors: ['solution_timeout_or_duplicate'],
      });
    });

    it('answers another content type as bad_request', async () => {
      const answer = await post(server.endpointUrl('friendly-captcha', 'v1'), 'solution=x', {
        'content-type': 'text/plain',
      });
      expect(answer).toMatchObject({ status: 400, body: { errors: ['bad_request'] } });
    });
  });

  describe('CaptchaLa', () => {
    const auth = { 'x-app-key': siteKeys.captchala, 'x-app-secret': secrets.captchala };
    const jsonHeaders = { 'content-type': 'application/json', ...auth };
    const validate = (fields: Json, url = server.verifyUrl('captchala')) =>
      post(url, json(fields), jsonHeaders);
    const issue = (extra: Json = {}) => server.issueToken({ provider: 'captchala', ...extra });

    it('validates a pass token once, with action and captcha_args', async () => {
      const token = issue({ action: 'login', hostname: 'app.example.com', score: 42 });
      expect(token).toMatch(/^pt_/);
      const answer = await validate({ pass_token: token, client_ip: '203.0.113.7' });
      expect(answer).toEqual({
        status: 200,
        contentType: expect.stringContaining('application/json'),
        body: {
          code: 0,
          data: {
            valid: true,
            challenge_id: expect.stringMatching(/^ch_/),
            action: 'login',
            uid: null,
            captcha_args: {
              platform: 'web',
              user_ip: '203.0.113.7',
              referer: 'https://app.example.com/',
              pkg: null,
              solved_at: expect.any(Number),
              risk_score: 42,
            },
          },
        },
      });
      expect((await validate({ pass_token: token })).body).toEqual({
        code: 0,
        data: { valid: false, error: 'token_already_used' },
      });
    });

    it('answers action null and the default risk score 10 for a token minted without them', async () => {
      const answer = await validate({ pass_token: issue({ hostname: '' }) });
      expect(answer.body).toMatchObject({
        data: { action: null, captcha_args: { referer: null, user_ip: null, risk_score: 10 } },
      });
    });

    it('does not consume a token validated with keep_token: true', async () => {
      const token = issue();
      expect((await validate({ pass_token: token, keep_token: true })).body).toMatchObject({
        data: { valid: true },
      });
      expect((await validate({ pass_token: token })).body).toMatchObject({ data: { valid: true } });
      expect((await validate({ pass_token: token })).body).toMatchObject({
        data: { error: 'token_already_used' },
      });
    });

    it('answers token_expired after 300 s', async () => {
      const onTime = issue();
      const late = issue();
      server.advanceClock(299_000);
      expect((await validate({ pass_token: onTime })).body).toMatchObject({
        data: { valid: true },
      });
      server.advanceClock(2_000);
      expect((await validate({ pass_token: late })).body).toEqual({
        code: 0,
        data: { valid: false, error: 'token_expired' },
      });
    });

    it('answers dg_ tokens as degraded, never valid, and does not consume them', async () => {
      const token = issue({ captchalaKind: 'degraded' });
      expect(token).toMatch(/^dg_/);
      for (let i = 0; i < 2; i++) {
        expect((await validate({ pass_token: token })).body).toEqual({
          code: 0,
          data: { valid: false, degraded: true, reason: 'quota_exhausted' },
        });
      }
    });

    it('knows client_ and offline_ tokens only where they belong', async () => {
      const client = issue({ captchalaKind: 'client' });
      const offline = issue({ captchalaKind: 'offline' });
      const pass = issue();
      const backup = server.endpointUrl('captchala', 'backup');
      expect(client).toMatch(/^client_/);
      expect(offline).toMatch(/^offline_/);
      for (const [token, url] of [
        [client, server.verifyUrl('captchala')],
        [offline, server.verifyUrl('captchala')],
        [client, backup],
        [pass, backup],
      ]) {
        expect((await validate({ pass_token: token }, url)).body).toMatchObject({
          data: { valid: false, error: 'token_not_found' },
        });
      }
      expect((await validate({ pass_token: offline }, backup)).body).toMatchObject({
        data: { valid: true },
      });
    });

    it('faults one endpoint only when the fault names it, in order with the others', async () => {
      const offline = issue({ captchalaKind: 'offline' });
      const pass = issue();
      const backup = server.endpointUrl('captchala', 'backup');
      server.fault('captchala', { status: 503, endpoint: 'backup', times: 1 });
      server.fault('captchala', { status: 422, endpoint: 'verify', times: 1 });
      // The verify endpoint skips the backup's fault and takes its own.
      expect((await validate({ pass_token: pass })).status).toBe(422);
      expect((await validate({ pass_token: pass })).body).toMatchObject({ data: { valid: true } });
      expect((await validate({ pass_token: offline }, backup)).status).toBe(503);
      expect((await validate({ pass_token: offline }, backup)).body).toMatchObject({
        data: { valid: true },
      });
      expect(() => server.fault('captchala', { status: 503, endpoint: 'nowhere' })).toThrow(
        TypeError,
      );
    });

    it.each<[string, Record<string, string>]>([
      ['no credentials', { 'content-type': 'application/json' }],
      ['the key only', { 'content-type': 'application/json', 'x-app-key': siteKeys.captchala }],
      ['a wrong secret', { 'content-type': 'application/json', ...auth, 'x-app-secret': 'nope' }],
    ])('answers %s with the invented 401 {code: 40101}', async (_what, headers) => {
      const answer = await post(
        server.verifyUrl('captchala'),
        json({ pass_token: issue() }),
        headers,
      );
      expect(answer).toMatchObject({
        status: 401,
        body: { code: 40101, msg: 'invalid_app_credentials', data: null },
      });
    });

    it('takes JSON only, and requires pass_token (invented 400s)', async () => {
      const form = await post(
        server.verifyUrl('captchala'),
        new URLSearchParams({ pass_token: issue() }),
        auth,
      );
      expect(form).toMatchObject({ status: 400, body: { code: 40001, msg: 'bad_request' } });
      const missing = await validate({ client_ip: '203.0.113.7' });
      expect(missing).toMatchObject({
        status: 400,
        body: { code: 40002, msg: 'pass_token_required' },
      });
    });

    it('issues server tokens from JSON (binding_ip) and form (bind_ip) bodies', async () => {
      const issueUrl = server.endpointUrl('captchala', 'issue');
      const fromJson = await post(
        issueUrl,
        json({ action: 'login', ttl: 120, max_uses: 3, binding_ip: '203.0.113.7', bind_uid: 'u1' }),
        jsonHeaders,
      );
      expect(fromJson).toMatchObject({
        status: 200,
        body: {
          code: 0,
          data: {
            server_token: expect.stringMatching(/^sct_/),
            expires_in: 120,
            issued_at: expect.any(Number),
          },
        },
      });
      const fromForm = await post(
        issueUrl,
        new URLSearchParams({ action: 'signup', bind_ip: '198.51.100.1' }),
        auth,
      );
      expect(fromForm.body).toMatchObject({ code: 0, data: { expires_in: 300 } });
      expect(server.captchalaServerTokens).toEqual([
        {
          serverToken: (fromJson.body['data'] as Json)['server_token'],
          action: 'login',
          ttl: 120,
          maxUses: 3,
          bindIp: '203.0.113.7',
          bindUid: 'u1',
          encoding: 'json',
        },
        {
          serverToken: (fromForm.body['data'] as Json)['server_token'],
          action: 'signup',
          ttl: 300,
          maxUses: undefined,
          bindIp: '198.51.100.1',
          bindUid: undefined,
          encoding: 'form',
        },
      ]);
      server.reset();
      expect(server.captchalaServerTokens).toEqual([]);
    });

    it('refuses an issue call without action or credentials, or with another encoding', async () => {
      const issueUrl = server.endpointUrl('captchala', 'issue');
      expect(await post(issueUrl, json({ ttl: 60 }), jsonHeaders)).toMatchObject({
        status: 400,
        body: { code: 40003, msg: 'action_required' },
      });
      expect(
        await post(issueUrl, json({ action: 'login' }), { 'content-type': 'application/json' }),
      ).toMatchObject({ status: 401, body: { code: 40101 } });
      expect(
        await post(issueUrl, 'action=login', { ...auth, 'content-type': 'text/plain' }),
      ).toMatchObject({ status: 400, body: { code: 40001 } });
    });

    it('answers an injected fault in its envelope', async () => {
      server.fault('captchala', { status: 502, times: 1 });
      expect(await validate({ pass_token: issue() })).toMatchObject({
        status: 502,
        body: { code: 502, msg: 'internal_error', data: null },
      });
    });
  });
});
