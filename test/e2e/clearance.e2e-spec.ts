import { createHmac } from 'node:crypto';
import {
  Body,
  Controller,
  HttpCode,
  HttpException,
  INestApplication,
  Logger,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import {
  CaptchaClearances,
  CaptchaRiskService,
  RequireCaptcha,
  failedAttempts,
  ipIn,
  type CaptchaClearanceOptions,
  type CaptchaModuleOptions,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { RedisServer } from '../support/redis-server';

const KEY = 'f3b1c9a07e2d4856b0a1c7e9d3f5a2b4c6e8d0f1a3b5c7d9';
const OTHER_KEY = '9d7c5b3a1f0e8d6c4b2a0f9e7d5c3b1a2c4e6a8b0d2f4e6a';

/** Sets a cookie of the app's own, the way each platform does, to check ours is appended. */
function appendSessionCookie(res: unknown): void {
  const reply = res as { raw?: unknown; header(n: string, v: string): void };
  if (reply.raw !== undefined) reply.header('set-cookie', 'session=app; Path=/');
  else (res as { append(n: string, v: string): void }).append('Set-Cookie', 'session=app; Path=/');
}

@Controller()
class ClearanceController {
  constructor(private readonly clearances: CaptchaClearances) {}

  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  login(@Res({ passthrough: true }) res: unknown) {
    appendSessionCookie(res);
    return { ok: true };
  }

  @Post('signup')
  @HttpCode(200)
  @RequireCaptcha({ action: 'signup' })
  signup() {
    return { ok: true };
  }

  @Post('checkout')
  @HttpCode(200)
  @RequireCaptcha({ action: 'checkout' })
  checkout() {
    return { ok: true };
  }

  @Post('transfer')
  @HttpCode(200)
  @RequireCaptcha({ action: 'transfer', fresh: true })
  transfer() {
    return { ok: true };
  }

  /** Calm for every client but 10.99.99.99. */
  @Post('calm')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: ipIn(['10.99.99.99/32']) })
  calm() {
    return { ok: true };
  }

  @Post('account')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'account',
    when: failedAttempts({ threshold: 1, window: '15m', per: 'ip' }),
  })
  account(@Body() body: { password?: string }) {
    if (body.password !== 'right') throw new HttpException('wrong password', 401);
    return { ok: true };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Req() req: unknown, @Res({ passthrough: true }) res: unknown) {
    return { revoked: await this.clearances.revoke(req, res) };
  }

  @Post('revoke-token')
  @HttpCode(200)
  async revokeToken(@Body() body: { clearance?: unknown }) {
    return { revoked: await this.clearances.revokeToken(body.clearance) };
  }
}

const SCOPE = ['login', 'signup', 'transfer', 'account'];

/** The `captcha_clearance` Set-Cookie line of a response, if any. */
function clearanceCookieOf(res: request.Response): string | undefined {
  const raw = res.headers['set-cookie'] as unknown as string[] | string | undefined;
  const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return lines.find((line) => line.startsWith('captcha_clearance='));
}

function valueOf(cookie: string): string {
  return cookie.slice('captcha_clearance='.length, cookie.indexOf(';'));
}

/** A payload signed like the library does, with `key`: for forged and mistyped values. */
function signed(payload: unknown, key: string): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

async function clearanceCount(registry: Registry, action: string, outcome: string) {
  const metric = await registry.getSingleMetric('captcha_clearances_total')?.get();
  const value = metric?.values.find(
    (v) => v.labels.action === action && v.labels.outcome === outcome,
  );
  return value?.value ?? 0;
}

const STORES = ['memory', 'redis'] as const;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe.each(STORES)('clearance (%s store)', (store) => {
    let fake: FakeCaptchaServer;
    let redis: RedisServer | undefined;
    const apps: INestApplication[] = [];
    let ipCounter = 0;
    /** A client address of its own per test. */
    const nextIp = () => `203.0.113.${++ipCounter}`;

    interface Started {
      app: INestApplication;
      registry: Registry;
      http: () => ReturnType<typeof request>;
    }

    const start = async (clearance: CaptchaClearanceOptions, prefix: string): Promise<Started> => {
      const registry = new Registry();
      const options: CaptchaModuleOptions = {
        provider: 'hcaptcha',
        siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
        secretKey: FakeCaptchaServer.secrets.hcaptcha,
        verifyUrl: fake.verifyUrl('hcaptcha'),
        trustProxy: 'loopback',
        metrics: 'prometheus',
        metricsRegistry: registry,
        clearance,
        ...(store === 'redis'
          ? { store: 'redis', redis: { url: redis!.url, keyPrefix: `${prefix}${Date.now()}:` } }
          : {}),
      };
      const app = await createCaptchaApp(options, [ClearanceController], adapter);
      apps.push(app);
      return { app, registry, http: () => request(app.getHttpServer()) };
    };

    let main: Started;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      if (store === 'redis') redis = await RedisServer.start();
      main = await start({ ttlSeconds: 600, uses: 3, key: KEY, actions: SCOPE }, 'main');
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await fake.close();
      await redis?.stop();
    });

    /** Solves a challenge on `path` as `ip` and returns the answer. */
    const solve = (s: Started, ip: string, path = '/login', ua = 'agent/1') =>
      s
        .http()
        .post(path)
        .set('x-forwarded-for', ip)
        .set('user-agent', ua)
        .send({ captchaToken: fake.issueToken({ provider: 'hcaptcha' }) });
    const withCookie = (s: Started, ip: string, path: string, value: string, ua = 'agent/1') =>
      s
        .http()
        .post(path)
        .set('x-forwarded-for', ip)
        .set('user-agent', ua)
        .set('cookie', `other=1; captcha_clearance=${value}`)
        .send({});
    const withHeader = (s: Started, ip: string, path: string, value: string, ua = 'agent/1') =>
      s
        .http()
        .post(path)
        .set('x-forwarded-for', ip)
        .set('user-agent', ua)
        .set('x-captcha-clearance', value)
        .send({});
    const earn = async (s: Started = main, ip = nextIp(), path = '/login') => {
      const res = await solve(s, ip, path).expect(200);
      const cookie = clearanceCookieOf(res);
      expect(cookie).toBeDefined();
      return { ip, value: valueOf(cookie!), res };
    };

    it('issues a clearance after a verified challenge: HttpOnly, SameSite=Lax cookie beside the app’s own, and the header', async () => {
      const issued = await clearanceCount(main.registry, 'login', 'issued');
      const { value, res } = await earn();
      const cookie = clearanceCookieOf(res)!;
      expect(cookie).toMatch(/; Max-Age=600(;|$)/);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).toMatch(/; HttpOnly(;|$)/);
      expect(cookie).toMatch(/; SameSite=Lax(;|$)/);
      // Plain http to a loopback host: the browser would drop a Secure cookie.
      expect(cookie).not.toMatch(/Secure/);
      expect(res.headers['x-captcha-clearance']).toBe(value);
      expect(res.headers['set-cookie']).toEqual(
        expect.arrayContaining([expect.stringMatching(/^session=app; Path=\//)]),
      );
      expect(value).not.toContain('203.0.113');
      expect(Buffer.from(value.split('.')[0], 'base64url').toString()).not.toContain('agent/1');
      expect(await clearanceCount(main.registry, 'login', 'issued')).toBe(issued + 1);
    });

    it('marks the cookie Secure for a request to a public host', async () => {
      const res = await solve(main, nextIp()).set('host', 'app.example.com').expect(200);
      expect(clearanceCookieOf(res)).toMatch(/; Secure(;|$)/);
    });

    it('issues nothing when no challenge was verified (a refused token, a calm route)', async () => {
      const refused = await main
        .http()
        .post('/login')
        .send({ captchaToken: 'forged-token-0000' })
        .expect(403);
      expect(clearanceCookieOf(refused)).toBeUndefined();
      const calm = await main.http().post('/calm').send({}).expect(200);
      expect(clearanceCookieOf(calm)).toBeUndefined();
      expect(calm.headers['x-captcha-clearance']).toBeUndefined();
    });

    it('honours it by cookie and by header on the actions in scope, without a provider call', async () => {
      const { ip, value } = await earn();
      const calls = fake.requests.length;
      const used = await clearanceCount(main.registry, 'signup', 'used');
      const byCookie = await withCookie(main, ip, '/signup', value).expect(200);
      expect(byCookie.body).toEqual({ ok: true });
      // A clearance is not re-issued by its own use.
      expect(clearanceCookieOf(byCookie)).toBeUndefined();
      await withHeader(main, ip, '/signup', value).expect(200);
      expect(fake.requests.length).toBe(calls);
      expect(await clearanceCount(main.registry, 'signup', 'used')).toBe(used + 2);
    });

    it('reads the header before the cookie', async () => {
      const { ip, value } = await earn();
      const forged = await clearanceCount(main.registry, 'signup', 'forged');
      const res = await main
        .http()
        .post('/signup')
        .set('x-forwarded-for', ip)
        .set('user-agent', 'agent/1')
        .set('x-captcha-clearance', 'junk')
        .set('cookie', `captcha_clearance=${value}`)
        .send({})
        .expect(403);
      expect(res.body.error).toBe('captcha_required');
      expect(await clearanceCount(main.registry, 'signup', 'forged')).toBe(forged + 1);
    });

    it('refuses it for an action out of scope (wrong_scope) and asks for a token instead', async () => {
      const { ip, value } = await earn();
      const before = await clearanceCount(main.registry, 'checkout', 'wrong_scope');
      const res = await withCookie(main, ip, '/checkout', value).expect(403);
      expect(res.body).toMatchObject({
        error: 'captcha_required',
        details: { provider: 'hcaptcha', action: 'checkout' },
      });
      expect(await clearanceCount(main.registry, 'checkout', 'wrong_scope')).toBe(before + 1);
      // A verified challenge on an action out of scope issues none.
      const solved = await solve(main, ip, '/checkout').expect(200);
      expect(clearanceCookieOf(solved)).toBeUndefined();
    });

    it('never honours it on a fresh: true route, which may still issue one', async () => {
      const { ip, value } = await earn();
      const res = await withCookie(main, ip, '/transfer', value).expect(403);
      expect(res.body.error).toBe('captcha_required');
      await withHeader(main, ip, '/transfer', value).expect(403);
      const solved = await solve(main, ip, '/transfer').expect(200);
      const fresh = valueOf(clearanceCookieOf(solved)!);
      await withCookie(main, ip, '/signup', fresh).expect(200);
    });

    it('lets exactly `uses` requests through, then counts it exhausted', async () => {
      const { ip, value } = await earn();
      const before = await clearanceCount(main.registry, 'signup', 'exhausted');
      for (let i = 0; i < 3; i++) await withCookie(main, ip, '/signup', value).expect(200);
      const res = await withCookie(main, ip, '/signup', value).expect(403);
      expect(res.body.error).toBe('captcha_required');
      expect(await clearanceCount(main.registry, 'signup', 'exhausted')).toBe(before + 1);
    });

    it('lets exactly `uses` of a parallel burst through', async () => {
      const { ip, value } = await earn();
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2 === 0
            ? withCookie(main, ip, '/signup', value)
            : withHeader(main, ip, '/login', value),
        ),
      );
      expect(answers.filter((res) => res.status === 200)).toHaveLength(3);
      expect(answers.filter((res) => res.status === 403)).toHaveLength(5);
    });

    it('refuses it once expired (the clock read by the library moved past its life)', async () => {
      const { ip, value } = await earn();
      await withCookie(main, ip, '/signup', value).expect(200);
      const before = await clearanceCount(main.registry, 'signup', 'expired');
      jest.useFakeTimers({
        doNotFake: [
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
      });
      try {
        jest.setSystemTime(Date.now() + 599_000);
        await withCookie(main, ip, '/signup', value).expect(200);
        jest.setSystemTime(Date.now() + 2_000);
        const res = await withCookie(main, ip, '/signup', value).expect(403);
        expect(res.body.error).toBe('captcha_required');
      } finally {
        jest.useRealTimers();
      }
      expect(await clearanceCount(main.registry, 'signup', 'expired')).toBe(before + 1);
    });

    it('refuses a revoked clearance, and clears the cookie on logout', async () => {
      const { ip, value } = await earn();
      await withCookie(main, ip, '/signup', value).expect(200);
      const logout = await withCookie(main, ip, '/logout', value).expect(200);
      expect(logout.body).toEqual({ revoked: true });
      expect(clearanceCookieOf(logout)).toMatch(/^captcha_clearance=; Max-Age=0;/);
      const before = await clearanceCount(main.registry, 'signup', 'revoked');
      await withCookie(main, ip, '/signup', value).expect(403);
      await withHeader(main, ip, '/login', value).expect(403);
      expect(await clearanceCount(main.registry, 'signup', 'revoked')).toBe(before + 1);
      // revokeToken, for a value an API client sent.
      const other = await earn();
      const revoked = await main
        .http()
        .post('/revoke-token')
        .send({ clearance: other.value })
        .expect(200);
      expect(revoked.body).toEqual({ revoked: true });
      await withHeader(main, other.ip, '/signup', other.value).expect(403);
      // Nothing to revoke: junk.
      const junk = await main.http().post('/revoke-token').send({ clearance: 'x.y' }).expect(200);
      expect(junk.body).toEqual({ revoked: false });
    });

    it('refuses forged values as forged, never with a 500', async () => {
      const { ip, value } = await earn();
      const [body, signature] = value.split('.');
      const flip = (text: string, at: number) => {
        const chars = text.split('');
        chars[at] = chars[at] === 'A' ? 'B' : 'A';
        return chars.join('');
      };
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const forgeries = [
        `${body}.${flip(signature, 0)}`,
        `${body}.${flip(signature, signature.length - 1)}`,
        `${flip(body, 5)}.${signature}`,
        signed(payload, OTHER_KEY),
        // Our key, but a payload of the wrong shape or types: refused all the same.
        signed({ ...payload, u: 'many' }, KEY),
        signed({ ...payload, s: 'signup' }, KEY),
        signed([payload], KEY),
        signed({ ...payload, extra: 1 }, KEY),
        'junk',
        '',
        '.',
        `${'A'.repeat(20)}.${'%'.repeat(43)}`,
        'x'.repeat(10_240),
        `${'A'.repeat(10_000)}.${signature}`,
      ];
      const before = await clearanceCount(main.registry, 'signup', 'forged');
      let counted = 0;
      for (const forged of forgeries) {
        const byHeader = await withHeader(main, ip, '/signup', forged);
        expect([byHeader.status, byHeader.body.error]).toEqual([403, 'captcha_required']);
        if (forged !== '') counted++;
        const byCookie = await withCookie(main, ip, '/signup', encodeURIComponent(forged));
        expect([byCookie.status, byCookie.body.error]).toEqual([403, 'captcha_required']);
        if (forged !== '') counted++;
      }
      expect(await clearanceCount(main.registry, 'signup', 'forged')).toBe(before + counted);
      // The genuine one still works.
      await withHeader(main, ip, '/signup', value).expect(200);
    });

    it('refuses it stolen to another client: another IP, another User-Agent (wrong_client)', async () => {
      const { ip, value } = await earn();
      const before = await clearanceCount(main.registry, 'signup', 'wrong_client');
      await withCookie(main, nextIp(), '/signup', value).expect(403);
      await withHeader(main, ip, '/signup', value, 'other-agent/2').expect(403);
      await withHeader(main, nextIp(), '/signup', value, 'other-agent/2').expect(403);
      expect(await clearanceCount(main.registry, 'signup', 'wrong_client')).toBe(before + 3);
      // The uses were not spent by the thief.
      for (let i = 0; i < 3; i++) await withHeader(main, ip, '/signup', value).expect(200);
    });

    it('keeps failedAttempts counting failures while a clearance is held, and never resets it', async () => {
      const ip = nextIp();
      const risk = main.app.get(CaptchaRiskService);
      const account = (password: string) =>
        main
          .http()
          .post('/account')
          .set('x-forwarded-for', ip)
          .set('user-agent', 'agent/1')
          .send({ password });
      await account('wrong').expect(401);
      await account('wrong').expect(403);
      expect(await risk.failures('account', ip)).toBe(1);
      const solved = await solve(main, ip, '/account').send({ password: 'wrong' });
      expect(solved.status).toBe(401);
      const value = valueOf(clearanceCookieOf(solved)!);
      expect(await risk.failures('account', ip)).toBe(2);
      await withHeader(main, ip, '/account', value).send({ password: 'wrong' }).expect(401);
      expect(await risk.failures('account', ip)).toBe(3);
      // A success through a clearance is no verified challenge: the count stays.
      await withHeader(main, ip, '/account', value).send({ password: 'right' }).expect(200);
      expect(await risk.failures('account', ip)).toBe(3);
    });

    it('writes a decision line for a clearance pass, without the clearance or a token in any log', async () => {
      const lines: unknown[][] = [];
      const spies = (['debug', 'log', 'warn', 'error'] as const).map((level) =>
        jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
          lines.push(args);
        }),
      );
      let value: string;
      try {
        ({ value } = await earn());
        const ip = nextIp();
        await withHeader(main, ip, '/signup', value).expect(403);
        const own = await earn(main, ip);
        await withHeader(main, ip, '/signup', own.value).expect(200);
        value = `${value}\n${own.value}`;
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      expect(lines).toContainEqual([
        expect.objectContaining({
          event: 'captcha.decision',
          action: 'signup',
          outcome: 'success',
          clearance: 'used',
          tokenPresent: false,
        }),
      ]);
      const text = JSON.stringify(lines);
      for (const part of value.split('\n')) {
        expect(text).not.toContain(part);
        expect(text).not.toContain(part.split('.')[1]);
      }
    });

    it('leaves the calm route untouched: no clearance read, counted or issued', async () => {
      const forged = await clearanceCount(main.registry, 'login', 'forged');
      const res = await withCookie(main, nextIp(), '/calm', 'junk').expect(200);
      expect(clearanceCookieOf(res)).toBeUndefined();
      expect(await clearanceCount(main.registry, 'login', 'forged')).toBe(forged);
    });

    it('without actions, covers only the action it was earned on', async () => {
      const single = await start({ ttlSeconds: 600, key: KEY }, 'single');
      const { ip, value } = await earn(single);
      await withCookie(single, ip, '/login', value).expect(200);
      await withCookie(single, ip, '/signup', value).expect(403);
      expect(await clearanceCount(single.registry, 'signup', 'wrong_scope')).toBe(1);
      // Default uses: 5 (one spent above).
      for (let i = 0; i < 4; i++) await withCookie(single, ip, '/login', value).expect(200);
      await withCookie(single, ip, '/login', value).expect(403);
    });
  });
});

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('clearance across two instances on one Redis', () => {
    let fake: FakeCaptchaServer;
    let redis: RedisServer;
    let a: INestApplication;
    let b: INestApplication;
    const registries = [new Registry(), new Registry()];
    let ipCounter = 0;
    const nextIp = () => `198.51.100.${++ipCounter}`;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      redis = await RedisServer.start();
      const prefix = `two${Date.now()}:`;
      const options = (registry: Registry): CaptchaModuleOptions => ({
        provider: 'hcaptcha',
        siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
        secretKey: FakeCaptchaServer.secrets.hcaptcha,
        verifyUrl: fake.verifyUrl('hcaptcha'),
        trustProxy: 'loopback',
        metrics: 'prometheus',
        metricsRegistry: registry,
        clearance: { ttlSeconds: 600, uses: 4, key: KEY, actions: SCOPE },
        store: 'redis',
        redis: { url: redis.url, keyPrefix: prefix },
      });
      a = await createCaptchaApp(options(registries[0]), [ClearanceController], adapter);
      b = await createCaptchaApp(options(registries[1]), [ClearanceController], adapter);
    });
    afterAll(async () => {
      await a.close();
      await b.close();
      await fake.close();
      await redis.stop();
    });

    const earnOn = async (app: INestApplication, ip: string) => {
      const res = await request(app.getHttpServer())
        .post('/login')
        .set('x-forwarded-for', ip)
        .set('user-agent', 'agent/1')
        .send({ captchaToken: fake.issueToken({ provider: 'hcaptcha' }) })
        .expect(200);
      return valueOf(clearanceCookieOf(res)!);
    };
    const use = (app: INestApplication, ip: string, value: string, path = '/signup') =>
      request(app.getHttpServer())
        .post(path)
        .set('x-forwarded-for', ip)
        .set('user-agent', 'agent/1')
        .set('x-captcha-clearance', value)
        .send({});

    it('honours on B a clearance issued by A', async () => {
      const ip = nextIp();
      const value = await earnOn(a, ip);
      await use(b, ip, value).expect(200);
      expect(await clearanceCount(registries[1], 'signup', 'used')).toBeGreaterThanOrEqual(1);
    });

    it('counts uses across both: a parallel burst over A and B lets exactly `uses` through', async () => {
      const ip = nextIp();
      const value = await earnOn(a, ip);
      const exhausted = async () =>
        (await clearanceCount(registries[0], 'signup', 'exhausted')) +
        (await clearanceCount(registries[1], 'signup', 'exhausted'));
      const before = await exhausted();
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => use(i % 2 === 0 ? a : b, ip, value)),
      );
      expect(answers.filter((res) => res.status === 200)).toHaveLength(4);
      expect(answers.filter((res) => res.status === 403)).toHaveLength(8);
      expect(await exhausted()).toBe(before + 8);
    });

    it('sees on B a revocation made on A', async () => {
      const ip = nextIp();
      const value = await earnOn(b, ip);
      await use(a, ip, value).expect(200);
      const revoked = await request(a.getHttpServer())
        .post('/revoke-token')
        .send({ clearance: value })
        .expect(200);
      expect(revoked.body).toEqual({ revoked: true });
      await use(b, ip, value).expect(403);
      expect(await clearanceCount(registries[1], 'signup', 'revoked')).toBe(1);
    });
  });
});

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('clearance while the store is down', () => {
    let fake: FakeCaptchaServer;
    let redis: RedisServer;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      redis = await RedisServer.start();
    });
    afterAll(async () => {
      await fake.close();
      await redis.stop();
    });

    it.each(['closed', 'open'] as const)(
      'never lets a clearance through unchecked (storeFailureMode %s)',
      async (storeFailureMode) => {
        const app = await createCaptchaApp(
          {
            provider: 'hcaptcha',
            siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
            secretKey: FakeCaptchaServer.secrets.hcaptcha,
            verifyUrl: fake.verifyUrl('hcaptcha'),
            clearance: { ttlSeconds: 600, key: KEY, actions: SCOPE },
            store: 'redis',
            redis: { url: redis.url, keyPrefix: `cl-down-${storeFailureMode}:` },
            storeFailureMode,
          },
          [ClearanceController],
          adapter,
        );
        try {
          const solved = await request(app.getHttpServer())
            .post('/login')
            .send({ captchaToken: fake.issueToken({ provider: 'hcaptcha' }) })
            .expect(200);
          const value = valueOf(clearanceCookieOf(solved)!);
          await request(app.getHttpServer())
            .post('/signup')
            .set('x-captcha-clearance', value)
            .send({})
            .expect(200);
          await redis.stop();
          const res = await request(app.getHttpServer())
            .post('/signup')
            .set('x-captcha-clearance', value)
            .send({});
          if (storeFailureMode === 'closed') {
            expect(res.status).toBe(503);
            expect(res.body.error).toBe('captcha_unavailable');
          } else {
            expect(res.status).toBe(403);
            expect(res.body.error).toBe('captcha_required');
          }
        } finally {
          await redis.start();
          await app.close();
        }
      },
    );
  });
});
