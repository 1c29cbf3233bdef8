import { Body, Controller, INestApplication, Post, UnauthorizedException } from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import {
  CaptchaRiskService,
  CaptchaStoreError,
  MemoryCaptchaStore,
  CaptchaVerifier,
  RequireCaptcha,
  failedAttempts,
  type AltchaChallenge,
} from 'nestjs-captcha';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { FAST_ALTCHA, solveAltcha } from '../support/solve-altcha';

@Controller()
class AdaptiveController {
  /** Always challenged: a payload is verified, nothing counted. */
  @Post('comment')
  @RequireCaptcha({ action: 'login' })
  comment(): { ok: true } {
    return { ok: true };
  }

  /** Challenged after 2 failures (401) per IP, as a sign-in would be. */
  @Post('signin')
  @RequireCaptcha({ action: 'signin', when: failedAttempts({ threshold: 2, window: '15m' }) })
  signin(@Body() body: { password?: string }): { ok: true } {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }
}

/** Base range [50, 200]; ×4 per failure, capped at ×64: levels 0..3. */
const BASE = FAST_ALTCHA.counter;
const rangeOf = (level: number): [number, number] => [BASE[0] * 4 ** level, BASE[1] * 4 ** level];

/** The counter a payload's solution reached: the work the client did. */
function counterOf(payload: string): number {
  return (
    JSON.parse(Buffer.from(payload, 'base64').toString()) as { solution: { counter: number } }
  ).solution.counter;
}

describe.each(ADAPTERS)('adaptive ALTCHA proof of work (%s)', (adapter) => {
  let app: INestApplication;
  let registry: Registry;
  let risk: CaptchaRiskService;
  let verifier: CaptchaVerifier;

  beforeAll(async () => {
    registry = new Registry();
    app = await createCaptchaApp(
      {
        provider: 'altcha',
        altcha: { ...FAST_ALTCHA, adaptive: { perFailure: 4, maxFactor: 64 } },
        trustProxy: 'loopback',
        metrics: 'prometheus',
        metricsRegistry: registry,
      },
      [AdaptiveController],
      adapter,
    );
    risk = app.get(CaptchaRiskService);
    verifier = app.get(CaptchaVerifier);
  });
  afterAll(() => app.close());

  const fetchChallenge = async (ip: string, action = 'login') =>
    (
      await request(app.getHttpServer())
        .get(`/captcha/challenge?action=${action}`)
        .set('x-forwarded-for', ip)
        .expect(200)
    ).body as AltchaChallenge;
  const post = (path: string, ip: string, body: object) =>
    request(app.getHttpServer()).post(path).set('x-forwarded-for', ip).send(body);

  it('gives a calm client the base range at level 0', async () => {
    const challenge = await fetchChallenge('198.51.100.1');
    expect(challenge.parameters.data).toEqual({ action: 'login', level: 0 });
    const payload = await solveAltcha(challenge);
    const counter = counterOf(payload);
    expect(counter).toBeGreaterThanOrEqual(BASE[0]);
    expect(counter).toBeLessThanOrEqual(BASE[1]);
    await post('/comment', '198.51.100.1', { altcha: payload }).expect(201);
  });

  it('grows the signed range with the client’s failures, for that client only, up to the cap', async () => {
    const risky = '198.51.100.2';
    await risk.recordFailure('login', risky);
    await risk.recordFailure('login', risky);
    const challenge = await fetchChallenge(risky);
    expect(challenge.parameters.data).toEqual({ action: 'login', level: 2 });
    const counter = counterOf(await solveAltcha(challenge));
    expect(counter).toBeGreaterThanOrEqual(rangeOf(2)[0]);
    expect(counter).toBeLessThanOrEqual(rangeOf(2)[1]);
    // Another client, and another action of the same client, stay calm.
    expect((await fetchChallenge('198.51.100.3')).parameters.data).toEqual({
      action: 'login',
      level: 0,
    });
    expect((await fetchChallenge(risky, 'signin')).parameters.data).toEqual({
      action: 'signin',
      level: 0,
    });

    for (let i = 0; i < 10; i++) await risk.recordFailure('login', risky);
    const capped = await fetchChallenge(risky);
    expect(capped.parameters.data).toEqual({ action: 'login', level: 3 });
    const cappedCounter = counterOf(await solveAltcha(capped));
    expect(cappedCounter).toBeGreaterThanOrEqual(rangeOf(3)[0]);
    expect(cappedCounter).toBeLessThanOrEqual(BASE[1] * 64);
  });

  it('refuses a challenge whose signed level was lowered', async () => {
    const ip = '198.51.100.4';
    for (let i = 0; i < 3; i++) await risk.recordFailure('login', ip);
    const challenge = await fetchChallenge(ip);
    expect(challenge.parameters.data?.level).toBe(3);
    const lowered: AltchaChallenge = {
      ...challenge,
      parameters: { ...challenge.parameters, data: { action: 'login', level: 0 } },
    };
    const payload = await solveAltcha(lowered);
    const answer = await post('/comment', ip, { altcha: payload }).expect(403);
    expect(answer.body).toMatchObject({ error: 'captcha_invalid', details: { reason: 'invalid' } });
    const verdict = await verifier.verify(payload, { action: 'login', remoteIp: ip });
    expect(verdict.errorCodes).toEqual(['invalid-signature']);
  });

  it('refuses a challenge fetched while calm once the client became risky (difficulty-too-low)', async () => {
    const ip = '198.51.100.5';
    const cheap = await solveAltcha(await fetchChallenge(ip));
    for (let i = 0; i < 3; i++) await risk.recordFailure('login', ip);
    const answer = await post('/comment', ip, { altcha: cheap }).expect(403);
    expect(answer.body).toMatchObject({ error: 'captcha_invalid', details: { reason: 'invalid' } });
    const verdict = await verifier.verify(cheap, { action: 'login', remoteIp: ip });
    expect(verdict).toMatchObject({ success: false, reason: 'invalid' });
    expect(verdict.errorCodes).toEqual(['difficulty-too-low']);
    // Spent by a calm client (another IP), the same payload is good: the check is per client.
    expect(
      (await verifier.verify(cheap, { action: 'login', remoteIp: '198.51.100.6' })).success,
    ).toBe(true);
    // A challenge fetched now carries the level the client's risk requires, and passes.
    const fresh = await fetchChallenge(ip);
    expect(fresh.parameters.data?.level).toBe(3);
    await post('/comment', ip, { altcha: await solveAltcha(fresh) }).expect(201);
  });

  it('accepts the challenge a failedAttempts route asked for (its own attempt is counted first)', async () => {
    const ip = '198.51.100.7';
    await post('/signin', ip, { password: 'wrong' }).expect(401);
    await post('/signin', ip, { password: 'wrong' }).expect(401);
    const demanded = await post('/signin', ip, { password: 'wrong' }).expect(403);
    expect(demanded.body.error).toBe('captcha_required');
    const challenge = await fetchChallenge(ip, 'signin');
    expect(challenge.parameters.data).toEqual({ action: 'signin', level: 2 });
    const payload = await solveAltcha(challenge);
    expect(counterOf(payload)).toBeGreaterThanOrEqual(rangeOf(2)[0]);
    await post('/signin', ip, { password: 'wrong', altcha: payload }).expect(401);
  });

  it.each([
    ['a space', 'log%20in'],
    ['too long', 'a'.repeat(101)],
    ['empty', ''],
    ['non-ASCII', '%C3%A9'],
  ])('answers 400 for an action that is %s', async (_what, action) => {
    const answer = await request(app.getHttpServer())
      .get(`/captcha/challenge?action=${action}`)
      .set('x-forwarded-for', '198.51.100.8')
      .expect(400);
    expect(answer.body.error).toBe('bad_request');
  });

  it('exports captcha_pow_cost by action only (undeclared actions as other)', async () => {
    await fetchChallenge('198.51.100.9', 'made-up-action');
    const text = await registry.metrics();
    expect(text).toMatch(/captcha_pow_cost_bucket\{le="[\d.e+]+",action="login"\} \d+/);
    expect(text).toMatch(/captcha_pow_cost_count\{action="other"\} [1-9]/);
    expect(text).not.toContain('made-up-action');
    expect(text).not.toContain('198.51.100');
    // Level-3 challenges were issued above: some cost lies past the base range's max.
    const belowBase = Number(
      /captcha_pow_cost_bucket\{le="1000",action="login"\} (\d+)/.exec(text)?.[1],
    );
    const all = Number(/captcha_pow_cost_count\{action="login"\} (\d+)/.exec(text)?.[1]);
    expect(all).toBeGreaterThan(belowBase);
  });
});

describe.each(ADAPTERS)('ALTCHA without adaptive (%s)', (adapter) => {
  it('signs no level and keeps the base range whatever the failures', async () => {
    const app = await createCaptchaApp(
      { provider: 'altcha', altcha: FAST_ALTCHA, trustProxy: 'loopback', metrics: false },
      [AdaptiveController],
      adapter,
    );
    try {
      for (let i = 0; i < 5; i++)
        await app.get(CaptchaRiskService).recordFailure('login', '198.51.100.10');
      const challenge = (
        await request(app.getHttpServer())
          .get('/captcha/challenge?action=login')
          .set('x-forwarded-for', '198.51.100.10')
          .expect(200)
      ).body as AltchaChallenge;
      expect(challenge.parameters.data).toEqual({ action: 'login' });
      const payload = await solveAltcha(challenge);
      expect(counterOf(payload)).toBeLessThanOrEqual(BASE[1]);
      await request(app.getHttpServer())
        .post('/comment')
        .set('x-forwarded-for', '198.51.100.10')
        .send({ altcha: payload })
        .expect(201);
    } finally {
      await app.close();
    }
  });
});

/** A memory store whose counters can be made to fail, as a Redis outage would. */
class FlakyCounterStore extends MemoryCaptchaStore {
  failing = false;
  override count(key: string): Promise<number> {
    if (this.failing) return Promise.reject(new CaptchaStoreError('store down'));
    return super.count(key);
  }
}

describe.each(ADAPTERS)('adaptive ALTCHA when the store fails (%s)', (adapter) => {
  it.each([
    ['closed', 503],
    ['open', 200],
  ] as const)('storeFailureMode %s: the challenge endpoint answers %d', async (mode, status) => {
    const store = new FlakyCounterStore();
    const app = await createCaptchaApp(
      {
        provider: 'altcha',
        altcha: { ...FAST_ALTCHA, adaptive: true },
        store,
        storeFailureMode: mode,
        metrics: false,
      },
      [AdaptiveController],
      adapter,
    );
    try {
      const calm = (await request(app.getHttpServer()).get('/captcha/challenge?action=login'))
        .body as AltchaChallenge;
      const payload = await solveAltcha(calm);
      store.failing = true;
      const answer = await request(app.getHttpServer())
        .get('/captcha/challenge?action=login')
        .expect(status);
      if (mode === 'open')
        expect(answer.body.parameters.data).toEqual({ action: 'login', level: 0 });
      else expect(answer.body.error).toBe('captcha_unavailable');
      // Verification: closed refuses with 503 (never lets the payload through unchecked); open passes.
      await request(app.getHttpServer())
        .post('/comment')
        .send({ altcha: payload })
        .expect(mode === 'open' ? 201 : 503);
    } finally {
      await app.close();
    }
  });
});

describe.each(ADAPTERS)('adaptive ALTCHA counting challenge requests (%s)', (adapter) => {
  it('raises the level past the free challenges, per client, and refuses the cheap ones then', async () => {
    const app = await createCaptchaApp(
      {
        provider: 'altcha',
        altcha: {
          ...FAST_ALTCHA,
          adaptive: { perFailure: 4, challenges: { free: 2, window: '1m' } },
        },
        trustProxy: 'loopback',
        metrics: false,
      },
      [AdaptiveController],
      adapter,
    );
    const levelFor = async (ip: string) =>
      (
        (
          await request(app.getHttpServer())
            .get('/captcha/challenge?action=login')
            .set('x-forwarded-for', ip)
            .expect(200)
        ).body as AltchaChallenge
      ).parameters.data?.level;
    try {
      const ip = '198.51.100.20';
      const first = (
        await request(app.getHttpServer())
          .get('/captcha/challenge?action=login')
          .set('x-forwarded-for', ip)
          .expect(200)
      ).body as AltchaChallenge;
      expect(first.parameters.data?.level).toBe(0);
      expect(await levelFor(ip)).toBe(0);
      expect(await levelFor(ip)).toBe(1);
      expect(await levelFor(ip)).toBe(2);
      expect(await levelFor('198.51.100.21')).toBe(0);
      // The first (cheap) challenge, spent after the client fetched many: too low now.
      const verdict = await app
        .get(CaptchaVerifier)
        .verify(await solveAltcha(first), { action: 'login', remoteIp: ip });
      expect(verdict.errorCodes).toEqual(['difficulty-too-low']);
    } finally {
      await app.close();
    }
  });
});
