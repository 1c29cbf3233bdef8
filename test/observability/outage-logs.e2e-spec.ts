import {
  Body,
  Controller,
  HttpCode,
  INestApplication,
  Post,
  UnauthorizedException,
  type LoggerService,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  CaptchaModule,
  failedAttempts,
  RequireCaptcha,
  type CaptchaModuleOptions,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp, type HttpAdapterName } from '../support/create-app';
import { eventually } from '../support/eventually';
import { RedisServer } from '../support/redis-server';

@Controller()
class OutageController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 3, window: '1m' }) })
  login(@Body() body: { password?: string }) {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }

  @Post('signup')
  @HttpCode(200)
  @RequireCaptcha({ action: 'signup' })
  signup() {
    return { ok: true };
  }
}

interface Entry {
  level: string;
  message: unknown;
}

class RecordingLogger implements LoggerService {
  readonly entries: Entry[] = [];
  log = (message: unknown) => this.entries.push({ level: 'log', message });
  warn = (message: unknown) => this.entries.push({ level: 'warn', message });
  error = (message: unknown) => this.entries.push({ level: 'error', message });
  debug = (message: unknown) => this.entries.push({ level: 'debug', message });
  verbose = (message: unknown) => this.entries.push({ level: 'verbose', message });
}

/** Lines an operator sees at the default levels (log, warn, error), Nest's own start-up lines left out. */
const visible = (entries: Entry[]) =>
  entries.filter(
    (e) => e.level !== 'debug' && e.level !== 'verbose' && typeof e.message === 'object',
  );
const eventOf = (entry: Entry) => (entry.message as { event?: string }).event;

/** Requests of one outage: this many, whatever the build. */
const REQUESTS = 200;

describe.each(ADAPTERS)('%s: log lines during an outage', (adapter: HttpAdapterName) => {
  let redis: RedisServer;
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  let logger: RecordingLogger;

  const boot = async (extra: Partial<CaptchaModuleOptions> = {}) => {
    logger = new RecordingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CaptchaModule.forRoot({
          provider: 'turnstile',
          siteKey: FakeCaptchaServer.siteKeys.turnstile,
          secretKey: FakeCaptchaServer.secrets.turnstile,
          verifyUrl: fake.verifyUrl('turnstile'),
          store: 'redis',
          redis: { url: redis.url, keyPrefix: `outage-${randomUUID()}:` },
          ...extra,
        }),
      ],
      controllers: [OutageController],
    }).compile();
    app = await startApp(moduleRef, adapter, { logger });
    await request(app.getHttpServer()).post('/login').send({ password: 'right' }).expect(200);
    logger.entries.length = 0;
  };
  const signup = () =>
    request(app.getHttpServer())
      .post('/signup')
      .send({ captchaToken: fake.issueToken({ provider: 'turnstile', action: 'signup' }) });
  /** REQUESTS requests, ten at a time, half sign-ins and half sign-ups. */
  const load = async (expected: number) => {
    for (let sent = 0; sent < REQUESTS; sent += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0 ? request(app.getHttpServer()).post('/login').send({}) : signup(),
        ),
      );
      expect(batch.map((r) => r.status)).toEqual(Array(10).fill(expected));
    }
  };

  /** Signs in until Redis answers again; how many attempts failed on the way. */
  const recover = async () => {
    let failed = 0;
    await eventually(async () => {
      const res = await request(app.getHttpServer()).post('/login').send({ password: 'right' });
      if (res.status !== 200) failed++;
      expect(res.status).toBe(200);
    });
    return failed;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    fake = await FakeCaptchaServer.start();
  });
  afterEach(async () => {
    redis.resume();
    fake.clearFaults();
    if (!redis.running) await redis.start();
    await app?.close();
  });
  afterAll(async () => {
    await fake.close();
    await redis.stop();
  });

  it('Redis down: one line when it goes, one when it is back, whatever the load', async () => {
    await boot();
    await redis.stop();
    await load(503);
    await redis.start();
    const retried = await recover();
    const lines = visible(logger.entries);
    report(adapter, 'Redis down', logger.entries);
    expect(lines.map(eventOf)).toEqual(['captcha.store_unavailable', 'captcha.store_recovered']);
    expect(lines[0]).toMatchObject({ level: 'error' });
    expect(lines[0].message).toMatchObject({ source: 'store', cause: expect.any(String) });
    expect(lines[1]).toMatchObject({ level: 'warn' });
    expect(lines[1].message).toMatchObject({
      source: 'store',
      downForMs: expect.any(Number),
      failed: expect.any(Number),
      reasons: { claim: expect.any(Number), increment: expect.any(Number) },
    });
    // Every refusal is still there, at debug.
    const debug = logger.entries.filter((e) => e.level === 'debug');
    expect(debug.filter((e) => eventOf(e) === 'captcha.store_unavailable').length).toBe(
      REQUESTS + retried,
    );
  });

  it('a flapping Redis (frozen and thawed again and again) is one outage, not a line pair per flap', async () => {
    await boot();
    for (let flap = 0; flap < 4; flap++) {
      redis.pause();
      const frozen = await signup();
      redis.resume();
      expect(frozen.status).toBe(503);
      await recover();
    }
    const lines = visible(logger.entries);
    expect(lines.map((e) => [e.level, eventOf(e)])).toEqual([
      ['error', 'captcha.store_unavailable'],
      ['warn', 'captcha.store_recovered'],
    ]);
    expect(lines[0].message).toMatchObject({
      code: 'ETIMEDOUT',
      cause: expect.stringMatching(/timed out/),
    });
  });

  it('provider down: the outage and the circuit opening, not one line per request', async () => {
    await boot();
    fake.fault('turnstile', { status: 500 });
    for (let sent = 0; sent < REQUESTS; sent += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => signup()));
      expect(batch.map((r) => r.status)).toEqual(Array(10).fill(503));
    }
    report(adapter, 'provider down', logger.entries);
    const lines = visible(logger.entries);
    expect(lines.map((e) => [e.level, eventOf(e)])).toEqual([
      ['error', 'captcha.provider_unavailable'],
      ['error', 'captcha.circuit_opened'],
    ]);
    expect(lines[0].message).toMatchObject({
      source: 'provider',
      provider: 'turnstile',
      policy: 'closed',
      reason: 'http_5xx',
      status: 500,
    });
    // The decisions and each failed call are kept, at debug.
    const decisions = logger.entries.filter((e) => eventOf(e) === 'captcha.decision');
    expect(decisions).toHaveLength(REQUESTS);
    expect(decisions.every((e) => e.level === 'debug')).toBe(true);
    const unreachable = logger.entries.filter((e) => eventOf(e) === 'captcha.provider_unreachable');
    expect(unreachable.length).toBeGreaterThanOrEqual(5); // the circuit's threshold
    expect(unreachable.every((e) => e.level === 'debug')).toBe(true);
  });

  it('provider back: the circuit half-open, closed, and the recovery with the failures counted', async () => {
    await boot({ circuitBreaker: { threshold: 2, halfOpenAfterMs: 300 } });
    fake.fault('turnstile', { status: 500 });
    for (let i = 0; i < 6; i++) await signup().expect(503); // 2 calls fail, then the circuit is open
    fake.clearFaults();
    let refused = 6;
    await eventually(async () => {
      const res = await signup();
      if (res.status !== 200) refused++;
      expect(res.status).toBe(200);
    });
    const lines = visible(logger.entries);
    expect(lines.map((e) => [e.level, eventOf(e)])).toEqual([
      ['error', 'captcha.provider_unavailable'],
      ['error', 'captcha.circuit_opened'],
      ['warn', 'captcha.circuit_half_open'],
      ['log', 'captcha.circuit_closed'],
      ['warn', 'captcha.provider_recovered'],
    ]);
    expect(lines[4].message).toMatchObject({
      source: 'provider',
      provider: 'turnstile',
      downForMs: expect.any(Number),
      failed: refused,
      reasons: { http_5xx: 2, circuit_open: refused - 2 },
    });
  });

  it('a long outage writes one summary per interval, counting the refusals by reason', async () => {
    await boot({ outageLogIntervalMs: 200 });
    await redis.stop();
    // Requests until two summaries were written; each counts what came since the one before.
    let sent = 0;
    await eventually(async () => {
      await load(503);
      sent += REQUESTS;
      const summaries = visible(logger.entries).filter(
        (e) => eventOf(e) === 'captcha.outage_summary',
      );
      expect(summaries.length).toBeGreaterThanOrEqual(2);
    }, 15_000);
    await redis.start();
    const retried = await recover();
    const lines = visible(logger.entries);
    const summaries = lines.filter((e) => eventOf(e) === 'captcha.outage_summary');
    for (const summary of summaries) {
      expect(summary).toMatchObject({
        level: 'warn',
        message: { source: 'store', policy: 'closed', failed: expect.any(Number) },
      });
      // At most one per interval: each sums up at least 200 ms.
      expect((summary.message as { sinceMs: number }).sinceMs).toBeGreaterThanOrEqual(200);
    }
    const recovered = lines.find((e) => eventOf(e) === 'captcha.store_recovered')!;
    // Summaries and the recovery line together account for every refused request.
    const counted = [...summaries, recovered]
      .map((e) => (e.message as { failed: number }).failed)
      .reduce((a, b) => a + b, 0);
    expect(counted).toBe(sent + retried);
    // Nothing else: the transition, the summaries, the recovery.
    expect(lines).toHaveLength(summaries.length + 2);
  });
});

/** Prints the counts, for the issue's before/after note. */
function report(adapter: string, what: string, entries: Entry[]): void {
  const levels: Record<string, number> = {};
  for (const entry of entries) {
    const key = `${entry.level} ${typeof entry.message === 'object' ? eventOf(entry) : 'text'}`;
    levels[key] = (levels[key] ?? 0) + 1;
  }
  if (process.env.OUTAGE_LOG_COUNTS) {
    process.stdout.write(`${adapter} ${what}, ${REQUESTS} requests: ${JSON.stringify(levels)}\n`);
  }
}
