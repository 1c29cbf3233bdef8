// What only Turnstile does. The siteverify contract shared by all remote providers
// (keys, outages, replays, expiry, hostnames, tokens never sent) runs per provider in
// siteverify-contract.spec.ts.
import { CaptchaUnavailableError, type CaptchaVerifier } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { providerFixture } from '../support/provider-fixture';

describe('Turnstile provider', () => {
  const fx = providerFixture('turnstile');
  const { build } = fx;
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  beforeAll(() => ({ fake, verifier } = fx));

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

  it('refuses a token made for another action', async () => {
    const token = fake.issueToken({ provider: 'turnstile', action: 'signup' });
    expect(await verifier.verify(token, { action: 'login' })).toMatchObject({
      success: false,
      reason: 'action_mismatch',
      action: 'signup',
    });
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
    expect((await pass.verify(keys.dummyToken)).success).toBe(true);
    expect(await fail.verify(keys.dummyToken)).toMatchObject({
      success: false,
      reason: 'invalid',
    });
  });

  it('refuses a token made without an action where the call expects one', async () => {
    const token = fake.issueToken({ provider: 'turnstile' });
    expect(await verifier.verify(token, { action: 'login' })).toMatchObject({
      success: false,
      reason: 'action_mismatch',
      action: '',
    });
  });

  it('lets the dummy token be used again and again with the test secret, whatever the action', async () => {
    const keys = FakeCaptchaServer.testKeys.turnstile;
    const dev = await build({
      secretKey: keys.secrets.alwaysPasses,
      siteKey: keys.siteKeys.alwaysPasses,
    });
    for (let i = 0; i < 3; i++) {
      expect(await dev.verify(keys.dummyToken, { action: 'login' })).toMatchObject({
        success: true,
      });
    }
  });

  it('still refuses the dummy token with a production secret', async () => {
    const keys = FakeCaptchaServer.testKeys.turnstile;
    expect(await verifier.verify(keys.dummyToken)).toMatchObject({
      success: false,
      reason: 'invalid',
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

  // An HTML page, a 500 twice and a dropped connection: test/providers/siteverify-contract.ts.
  it('treats JSON without success as unavailable, never as a pass', async () => {
    fake.fault('turnstile', { status: 200, body: '{"ok":true}' });
    await expect(
      verifier.verify(fake.issueToken({ provider: 'turnstile' })),
    ).rejects.toBeInstanceOf(CaptchaUnavailableError);
  });
});
