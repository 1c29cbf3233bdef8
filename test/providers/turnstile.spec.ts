import { CaptchaUnavailableError, type CaptchaVerifier } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import type { TestingModule } from '@nestjs/testing';
import { createVerifier } from '../support/create-verifier';

describe('Turnstile provider', () => {
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  let moduleRef: TestingModule;

  const build = (overrides: object = {}) =>
    createVerifier({
      provider: 'turnstile',
      siteKey: FakeCaptchaServer.siteKeys.turnstile,
      secretKey: FakeCaptchaServer.secrets.turnstile,
      verifyUrl: fake.verifyUrl('turnstile'),
      timeoutMs: 300,
      // These suites provoke many outages on one verifier; circuits have their own spec.
      circuitBreaker: false,
      ...overrides,
    });

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    ({ verifier, moduleRef } = await build({
      expectedHostnames: ['localhost', 'app.example.com'],
    }));
  });
  afterEach(() => {
    fake.clearFaults();
  });
  afterAll(async () => {
    await moduleRef.close();
    await fake.close();
  });

  it('accepts a valid token and reports what the provider said', async () => {
    const token = fake.issueToken({
      provider: 'turnstile',
      action: 'login',
      hostname: 'app.example.com',
      cdata: 'x',
    });
    const v = await verifier.verify(token, { action: 'login', remoteIp: '203.0.113.7' });
    expect(v).toMatchObject({
      success: true,
      provider: 'turnstile',
      action: 'login',
      hostname: 'app.example.com',
      errorCodes: [],
    });
    expect(v.reason).toBeUndefined();
    expect(v.challengeTs).toBeInstanceOf(Date);
  });

  it('sends form-encoded secret, response, remoteip and an idempotency key', async () => {
    const token = fake.issueToken({ provider: 'turnstile' });
    await verifier.verify(token, { remoteIp: '203.0.113.7' });
    const sent = fake.requests[fake.requests.length - 1];
    expect(sent.contentType).toContain('application/x-www-form-urlencoded');
    expect(sent.form).toMatchObject({
      secret: FakeCaptchaServer.secrets.turnstile,
      response: token,
      remoteip: '203.0.113.7',
    });
    expect(sent.form?.idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps invalid-input-response to invalid', async () => {
    const v = await verifier.verify('forged.token.value');
    expect(v).toMatchObject({
      success: false,
      reason: 'invalid',
      errorCodes: ['invalid-input-response'],
    });
  });

  it('maps an expired token (timeout-or-duplicate) to a failure', async () => {
    const token = fake.issueToken({ provider: 'turnstile' });
    fake.advanceClock(301_000);
    const v = await verifier.verify(token);
    expect(v.success).toBe(false);
    expect(v.errorCodes).toEqual(['timeout-or-duplicate']);
    expect(v.reason).toBe('duplicate');
  });

  it('maps timeout-or-duplicate from the provider (another instance redeemed it) to duplicate', async () => {
    const other = await build();
    const token = fake.issueToken({ provider: 'turnstile' });
    expect((await other.verifier.verify(token)).success).toBe(true);
    await other.moduleRef.close();
    const v = await verifier.verify(token);
    expect(v).toMatchObject({
      success: false,
      reason: 'duplicate',
      errorCodes: ['timeout-or-duplicate'],
    });
  });

  it('refuses a token solved on an unexpected host', async () => {
    const token = fake.issueToken({ provider: 'turnstile', hostname: 'evil.example.net' });
    expect(await verifier.verify(token)).toMatchObject({
      success: false,
      reason: 'hostname_mismatch',
      hostname: 'evil.example.net',
    });
  });

  it('refuses a token made for another action', async () => {
    const token = fake.issueToken({ provider: 'turnstile', action: 'signup' });
    expect(await verifier.verify(token, { action: 'login' })).toMatchObject({
      success: false,
      reason: 'action_mismatch',
      action: 'signup',
    });
  });

  it('throws CaptchaUnavailableError(misconfigured) when the secret is rejected, without the secret in the message', async () => {
    const bad = await build({ secretKey: '0x4AAAAAAAwrong-secret-value' });
    const token = fake.issueToken({ provider: 'turnstile' });
    const error = await bad.verifier.verify(token).catch((e: unknown) => e);
    await bad.moduleRef.close();
    expect(error).toBeInstanceOf(CaptchaUnavailableError);
    expect(error).toMatchObject({ kind: 'misconfigured', reason: 'misconfigured' });
    expect((error as Error).message).toContain('invalid-input-secret');
    expect((error as Error).message).not.toContain('wrong-secret-value');
    expect((error as Error).message).not.toContain(token);
  });

  it('resolves a rotating secret on each call', async () => {
    let secret = '0x4AAAAAAAwrong-secret-value';
    const rotating = await build({ secretKey: () => secret });
    await expect(
      rotating.verifier.verify(fake.issueToken({ provider: 'turnstile' })),
    ).rejects.toBeInstanceOf(CaptchaUnavailableError);
    secret = FakeCaptchaServer.secrets.turnstile;
    expect(
      (await rotating.verifier.verify(fake.issueToken({ provider: 'turnstile' }))).success,
    ).toBe(true);
    await rotating.moduleRef.close();
  });

  it('passes the official test secrets through with the dummy token', async () => {
    const keys = FakeCaptchaServer.testKeys.turnstile;
    const pass = await build({
      secretKey: keys.secrets.alwaysPasses,
      siteKey: keys.siteKeys.alwaysPasses,
    });
    const fail = await build({
      secretKey: keys.secrets.alwaysFails,
      siteKey: keys.siteKeys.alwaysBlocks,
    });
    expect((await pass.verifier.verify(keys.dummyToken)).success).toBe(true);
    expect(await fail.verifier.verify(keys.dummyToken)).toMatchObject({
      success: false,
      reason: 'invalid',
    });
    await pass.moduleRef.close();
    await fail.moduleRef.close();
  });

  it('refuses a token made without an action where the call expects one', async () => {
    const token = fake.issueToken({ provider: 'turnstile' });
    expect(await verifier.verify(token, { action: 'login' })).toMatchObject({
      success: false,
      reason: 'action_mismatch',
      action: '',
    });
  });

  it('compares a per-call expected hostname case-insensitively', async () => {
    const plain = await build();
    const token = fake.issueToken({ provider: 'turnstile', hostname: 'partner.example.org' });
    expect(
      (await plain.verifier.verify(token, { expectedHostname: 'Partner.Example.org' })).success,
    ).toBe(true);
    await plain.moduleRef.close();
  });

  it('lets the dummy token be used again and again with the test secret, whatever the action', async () => {
    const keys = FakeCaptchaServer.testKeys.turnstile;
    const dev = await build({
      secretKey: keys.secrets.alwaysPasses,
      siteKey: keys.siteKeys.alwaysPasses,
    });
    for (let i = 0; i < 3; i++) {
      expect(await dev.verifier.verify(keys.dummyToken, { action: 'login' })).toMatchObject({
        success: true,
      });
    }
    await dev.moduleRef.close();
  });

  it('still refuses the dummy token with a production secret', async () => {
    const keys = FakeCaptchaServer.testKeys.turnstile;
    expect(await verifier.verify(keys.dummyToken)).toMatchObject({
      success: false,
      reason: 'invalid',
    });
  });

  it('times out into CaptchaUnavailableError(timeout)', async () => {
    fake.fault('turnstile', { hang: true });
    const error = await verifier
      .verify(fake.issueToken({ provider: 'turnstile' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'CaptchaUnavailableError',
      kind: 'timeout',
      provider: 'turnstile',
    });
  });

  it('retries internal-error once with the same idempotency key and gets the verdict', async () => {
    fake.fault('turnstile', {
      status: 200,
      body: '{"success":false,"error-codes":["internal-error"]}',
      times: 1,
    });
    const before = fake.requests.length;
    const token = fake.issueToken({ provider: 'turnstile' });
    expect((await verifier.verify(token)).success).toBe(true);
    const [first, second] = fake.requests.slice(before);
    expect(second.form?.idempotency_key).toBe(first.form?.idempotency_key);
  });

  it('retries a 502 once and succeeds', async () => {
    fake.fault('turnstile', { status: 502, times: 1 });
    expect((await verifier.verify(fake.issueToken({ provider: 'turnstile' }))).success).toBe(true);
  });

  it.each([
    ['an HTML page', { status: 200, body: '<html>oops</html>', contentType: 'text/html' }],
    ['JSON without success', { status: 200, body: '{"ok":true}' }],
    ['a 500 twice', { status: 500 }],
    ['a dropped connection', { closeConnection: true }],
  ])('treats %s as unavailable, never as a pass', async (_what, fault) => {
    fake.fault('turnstile', fault);
    await expect(
      verifier.verify(fake.issueToken({ provider: 'turnstile' })),
    ).rejects.toBeInstanceOf(CaptchaUnavailableError);
  });

  it('never sends a token longer than 2048 characters', async () => {
    const before = fake.requests.length;
    expect(await verifier.verify('a'.repeat(2049))).toMatchObject({
      success: false,
      reason: 'malformed',
    });
    expect(fake.requests.length).toBe(before);
  });
});
