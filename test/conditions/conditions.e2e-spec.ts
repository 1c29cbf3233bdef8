import {
  Body,
  type CanActivate,
  Controller,
  ForbiddenException,
  HttpCode,
  HttpException,
  INestApplication,
  Post,
  Req,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  allOf,
  anyOf,
  CaptchaOutcomeInterceptor,
  CaptchaRiskService,
  failedAttempts,
  ipIn,
  ipReputation,
  MemoryCaptchaStore,
  not,
  requestRate,
  RequireCaptcha,
  suspiciousClient,
  tenantPolicy,
  type CaptchaStore,
  type IpVerdict,
} from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp } from '../support/create-app';
import { until } from '../support/eventually';

class PaymentDeclined extends HttpException {
  constructor() {
    super('Payment declined', 402);
  }
}

const reputationCalls: string[] = [];
/** Verdicts by the last octet, so each adapter's run asks about addresses the cache has not seen. */
const reputation: Record<string, IpVerdict> = { '66': 'bad', '7': 'good' };

/** Passport's `AuthGuard('local')` in miniature: a wrong password is a 401 from a guard. */
class PasswordGuard implements CanActivate {
  canActivate(context: import('@nestjs/common').ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<{ body?: { password?: string } }>().body;
    if (body?.password !== 'right') throw new UnauthorizedException();
    return true;
  }
}

/** A throttler that runs after the checkpoint, refusing before the handler (and its interceptors). */
class ThrottleGuard implements CanActivate {
  canActivate(context: import('@nestjs/common').ExecutionContext): boolean {
    const headers = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string> }>().headers;
    if (headers['x-throttle'] === 'yes') throw new HttpException('Too many requests', 429);
    return true;
  }
}

@Controller()
class RiskyController {
  constructor(private readonly risk: CaptchaRiskService) {}

  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 2, window: '1m' }) })
  login(@Body() body: { password?: string }) {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }

  /** The checkpoint runs first (decorators apply bottom-up), then the password guard. */
  @Post('login-guarded')
  @HttpCode(200)
  @UseGuards(PasswordGuard)
  @RequireCaptcha({ action: 'login-guarded', when: failedAttempts({ threshold: 2, window: '1m' }) })
  loginGuarded() {
    return { ok: true };
  }

  @Post('login-by-email')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'login-email',
    when: failedAttempts({ threshold: 2, window: '1m', per: 'ip+body.email' }),
  })
  loginByEmail(@Body() body: { password?: string }) {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }

  /** Counted per account: any success to that account proves its password, and clears it. */
  @Post('login-account')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'login-account',
    when: failedAttempts({ threshold: 2, window: '1m', per: 'body.email', resetOn: 'success' }),
  })
  loginAccount(@Body() body: { password?: string }) {
    if (body.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }

  @Post('pay')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'pay',
    when: failedAttempts({
      threshold: 1,
      window: '1m',
      countOn: [PaymentDeclined],
      resetOn: 'never',
    }),
  })
  pay(@Body() body: { outcome?: string }) {
    if (body.outcome === 'declined') throw new PaymentDeclined();
    if (body.outcome === 'forbidden') throw new ForbiddenException();
    return { ok: true };
  }

  /** Counted by the interceptor (countOn names a class); a later guard may refuse first. */
  @Post('pay-throttled')
  @HttpCode(200)
  @UseGuards(ThrottleGuard)
  @RequireCaptcha({
    action: 'pay-throttled',
    when: failedAttempts({ threshold: 1, window: '1m', countOn: [PaymentDeclined] }),
  })
  payThrottled(@Body() body: { outcome?: string }) {
    if (body.outcome === 'declined') throw new PaymentDeclined();
    return { ok: true };
  }

  @Post('otp')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'otp',
    // The app counts (and resets) itself, so a 200 must not clear the count.
    when: failedAttempts({
      threshold: 2,
      window: '1m',
      per: 'header.x-user',
      resetOn: 'never',
    }),
  })
  async otp(@Req() req: { headers: Record<string, string> }, @Body() body: { code?: string }) {
    // The app counts its own failures; the handler never throws.
    if (body.code !== '123456') {
      await this.risk.recordFailure('otp', req.headers['x-user'], '1m');
      return { ok: false };
    }
    await this.risk.reset('otp', req.headers['x-user']);
    return { ok: true };
  }

  @Post('burst')
  @HttpCode(200)
  @RequireCaptcha({ action: 'burst', when: requestRate({ max: 3, window: '1m' }) })
  burst() {
    return { ok: true };
  }

  @Post('listed')
  @HttpCode(200)
  @RequireCaptcha({ action: 'listed', when: ipIn(['203.0.113.0/24', '2001:db8:bad::/48']) })
  listed() {
    return { ok: true };
  }

  @Post('listed-async')
  @HttpCode(200)
  @RequireCaptcha({ action: 'listed', when: ipIn(async () => ['192.0.2.0/24']) })
  listedAsync() {
    return { ok: true };
  }

  @Post('reputation')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'reputation',
    when: ipReputation(async (ip) => {
      reputationCalls.push(ip);
      const host = ip.split('.').pop()!;
      if (host === '99') throw new Error('feed down');
      return reputation[host] ?? 'neutral';
    }),
  })
  reputation() {
    return { ok: true };
  }

  @Post('suspicious')
  @HttpCode(200)
  @RequireCaptcha({ action: 'suspicious', when: suspiciousClient() })
  suspicious() {
    return { ok: true };
  }

  @Post('tenant')
  @HttpCode(200)
  @RequireCaptcha({ action: 'tenant', when: tenantPolicy((tenant) => tenant === 'Strict-Corp') })
  tenant() {
    return { ok: true };
  }

  @Post('any')
  @HttpCode(200)
  @RequireCaptcha({ action: 'any', when: anyOf(ipIn(['203.0.113.0/24']), suspiciousClient()) })
  any() {
    return { ok: true };
  }

  @Post('all')
  @HttpCode(200)
  @RequireCaptcha({ action: 'all', when: allOf(ipIn(['203.0.113.0/24']), suspiciousClient()) })
  all() {
    return { ok: true };
  }

  @Post('not')
  @HttpCode(200)
  @RequireCaptcha({ action: 'not', when: not(ipIn(['10.0.0.0/8'])) })
  notListed() {
    return { ok: true };
  }

  @Post('custom')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'custom',
    when: async (ctx) =>
      (ctx.request as { headers: Record<string, string> }).headers['x-risk'] === 'high',
  })
  custom() {
    return { ok: true };
  }
}

/** A store that records which operations ran, to prove calm requests cost only what they need. */
class RecordingStore implements CaptchaStore {
  readonly calls: string[] = [];
  private readonly inner = new MemoryCaptchaStore();
  increment(key: string, windowMs: number) {
    this.calls.push('increment');
    return this.inner.increment(key, windowMs);
  }
  count(key: string) {
    this.calls.push('count');
    return this.inner.count(key);
  }
  decrement(key: string) {
    this.calls.push('decrement');
    return this.inner.decrement(key);
  }
  reset(key: string) {
    this.calls.push('reset');
    return this.inner.reset(key);
  }
  claim(key: string, ttlMs: number) {
    this.calls.push('claim');
    return this.inner.claim(key, ttlMs);
  }
  release(key: string) {
    this.calls.push('release');
    return this.inner.release(key);
  }
}

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
  accept: 'application/json',
  'accept-language': 'en-US,en;q=0.9',
};

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('risk conditions through a real Nest app', () => {
    let app: INestApplication;
    const store = new RecordingStore();
    let nextIp = 1;
    /** A fresh client address per test (the app trusts loopback proxies), so counters never mix. */
    const newClient = () => `192.168.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;
    const post = (path: string, ip: string, headers: Record<string, string> = BROWSER) =>
      request(app.getHttpServer()).post(path).set(headers).set('x-forwarded-for', ip);

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [CaptchaTestingModule.forRoot({ trustProxy: 'loopback', store })],
        controllers: [RiskyController],
      }).compile();
      app = await startApp(moduleRef, adapter, { listen: false });
    });
    afterAll(() => app.close());

    describe('failedAttempts', () => {
      it('challenges after the threshold of 401s from one IP, and a solved captcha plus success resets it', async () => {
        const ip = newClient();
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
        const challenged = await post('/login', ip).send({ password: 'right' }).expect(403);
        expect(challenged.body).toMatchObject({
          error: 'captcha_required',
          details: { action: 'login' },
        });
        // Another IP is not affected.
        await post('/login', newClient()).send({ password: 'right' }).expect(200);
        await post('/login', ip)
          .send({ password: 'right', captchaToken: CAPTCHA_TEST_TOKENS.freshPass() })
          .expect(200);
        await post('/login', ip).send({ password: 'right' }).expect(200);
      });

      it('does not count a failed captcha as a failed login', async () => {
        const ip = newClient();
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
        for (let i = 0; i < 3; i++) {
          await post('/login', ip)
            .send({ password: 'wrong', captchaToken: CAPTCHA_TEST_TOKENS.fail('invalid') })
            .expect(403);
        }
        // Still two failures: one success with a captcha clears them.
        await post('/login', ip)
          .send({ password: 'right', captchaToken: CAPTCHA_TEST_TOKENS.freshPass() })
          .expect(200);
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
      });

      it('counts per composite key ip+body.email, case-insensitively', async () => {
        const ip = newClient();
        await post('/login-by-email', ip)
          .send({ email: 'Ana@Example.com', password: 'x' })
          .expect(401);
        await post('/login-by-email', ip)
          .send({ email: 'ana@example.com', password: 'x' })
          .expect(401);
        await post('/login-by-email', ip)
          .send({ email: 'ana@example.com', password: 'right' })
          .expect(403);
        await post('/login-by-email', ip)
          .send({ email: 'bob@example.com', password: 'right' })
          .expect(200);
      });

      it('a calm success does not clear the per-IP count; only one after a solved challenge does', async () => {
        const ip = newClient();
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
        await post('/login', ip).send({ password: 'right' }).expect(200);
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
        await post('/login', ip).send({ password: 'right' }).expect(403);
        await post('/login', ip)
          .send({ password: 'right', captchaToken: CAPTCHA_TEST_TOKENS.freshPass() })
          .expect(200);
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
        await post('/login', ip).send({ password: 'wrong' }).expect(401);
        await post('/login', ip).send({ password: 'wrong' }).expect(403);
      });

      it("resetOn 'success' on an account subject: a success to that account clears its count", async () => {
        const ip = newClient();
        const email = `user-${ip}@example.com`;
        await post('/login-account', ip).send({ email, password: 'x' }).expect(401);
        await post('/login-account', ip).send({ email, password: 'right' }).expect(200);
        await post('/login-account', ip).send({ email, password: 'x' }).expect(401);
        await post('/login-account', ip).send({ email, password: 'x' }).expect(401);
        await post('/login-account', ip).send({ email, password: 'right' }).expect(403);
        // Another account from the same IP is counted apart.
        await post('/login-account', ip)
          .send({ email: `other-${email}`, password: 'right' })
          .expect(200);
      });

      it("counts only what countOn names, and keeps the count on success with resetOn 'never'", async () => {
        const ip = newClient();
        await post('/pay', ip).send({ outcome: 'forbidden' }).expect(403);
        await post('/pay', ip).send({ outcome: 'ok' }).expect(200);
        await post('/pay', ip).send({ outcome: 'declined' }).expect(402);
        const res = await post('/pay', ip).send({ outcome: 'ok' }).expect(403);
        expect(res.body.error).toBe('captcha_required');
        await post('/pay', ip)
          .send({ outcome: 'ok', captchaToken: CAPTCHA_TEST_TOKENS.freshPass() })
          .expect(200);
        await post('/pay', ip).send({ outcome: 'ok' }).expect(403);
      });

      it('refunds an attempt refused after the checkpoint, before the outcome interceptor saw it', async () => {
        const ip = newClient();
        const throttled = { ...BROWSER, 'x-throttle': 'yes' };
        for (let i = 0; i < 3; i++) {
          await post('/pay-throttled', ip, throttled).send({ outcome: 'ok' }).expect(429);
        }
        await post('/pay-throttled', ip).send({ outcome: 'declined' }).expect(402);
        await post('/pay-throttled', ip).send({ outcome: 'ok' }).expect(403);
      });

      it('reads counters fed by CaptchaRiskService', async () => {
        const ip = newClient();
        const user = { ...BROWSER, 'x-user': `user-${ip}` };
        await post('/otp', ip, user).send({ code: '000000' }).expect(200);
        await post('/otp', ip, user).send({ code: '000000' }).expect(200);
        await post('/otp', ip, user).send({ code: '123456' }).expect(403);
        await post('/otp', ip, user)
          .send({ code: '123456', captchaToken: CAPTCHA_TEST_TOKENS.freshPass() })
          .expect(200);
        await post('/otp', ip, user).send({ code: '123456' }).expect(200);
      });

      it('counts a 401 from a guard that runs after the checkpoint (the Passport login pattern)', async () => {
        const ip = newClient();
        await post('/login-guarded', ip).send({ password: 'wrong' }).expect(401);
        await post('/login-guarded', ip).send({ password: 'wrong' }).expect(401);
        const challenged = await post('/login-guarded', ip).send({ password: 'right' }).expect(403);
        expect(challenged.body.error).toBe('captcha_required');
      });

      it('counts from the HTTP status on status-counted routes: the outcome interceptor is taken off them', () => {
        const interceptorsOf = (handler: object) =>
          (Reflect.getMetadata('__interceptors__', handler) as unknown[] | undefined) ?? [];
        expect(interceptorsOf(RiskyController.prototype.login)).not.toContain(
          CaptchaOutcomeInterceptor,
        );
        // countOn names an exception class: only an interceptor sees the exception.
        expect(interceptorsOf(RiskyController.prototype.pay)).toContain(CaptchaOutcomeInterceptor);
      });

      it('counts a calm request when it is evaluated and refunds it once it succeeded', async () => {
        const ip = newClient();
        store.calls.length = 0;
        await post('/login', ip).send({ password: 'right' }).expect(200);
        // The refund runs on the response's `finish`, just after the client has its answer.
        await until(() => store.calls.length >= 2, 'the refund on finish');
        expect(store.calls).toEqual(['increment', 'decrement']);
      });
    });

    it('requestRate challenges a burst past max within the window', async () => {
      const ip = newClient();
      for (let i = 0; i < 3; i++) await post('/burst', ip).send({}).expect(200);
      await post('/burst', ip).send({}).expect(403);
      await post('/burst', newClient()).send({}).expect(200);
      await post('/burst', ip).send({ captchaToken: CAPTCHA_TEST_TOKENS.freshPass() }).expect(200);
    });

    describe('ipIn', () => {
      it('challenges IPv4 and IPv6 addresses in the list, not others', async () => {
        await post('/listed', '203.0.113.9').send({}).expect(403);
        await post('/listed', '2001:db8:bad::1').send({}).expect(403);
        await post('/listed', '::ffff:203.0.113.10').send({}).expect(403);
        await post('/listed', '2001:db8:900d::1').send({}).expect(200);
        await post('/listed', '198.51.100.1').send({}).expect(200);
      });

      it('reads the list from a function', async () => {
        await post('/listed-async', '192.0.2.44').send({}).expect(403);
        await post('/listed-async', '192.0.3.44').send({}).expect(200);
      });

      it('rejects a bad CIDR when the condition is built, not on a request', () => {
        expect(() => ipIn(['300.1.1.0/24'])).toThrow(/not an IP address or CIDR/);
      });
    });

    it('ipReputation challenges bad verdicts, caches per IP, and fails closed when the lookup throws', async () => {
      // The verdict cache lives in the condition, shared by both adapters' runs.
      const net = adapter === 'express' ? '198.51.100' : '192.0.2';
      reputationCalls.length = 0;
      await post('/reputation', `${net}.66`).send({}).expect(403);
      await post('/reputation', `${net}.66`).send({}).expect(403);
      await post('/reputation', `${net}.7`).send({}).expect(200);
      expect(reputationCalls).toEqual([`${net}.66`, `${net}.7`]);
      await post('/reputation', `${net}.99`).send({}).expect(403);
    });

    it('suspiciousClient challenges headless agents, scripts and missing browser headers', async () => {
      const ip = newClient();
      await post('/suspicious', ip).send({}).expect(200);
      await post('/suspicious', ip, {
        ...BROWSER,
        'user-agent': 'Mozilla/5.0 HeadlessChrome/126.0',
      })
        .send({})
        .expect(403);
      await post('/suspicious', ip, { ...BROWSER, 'user-agent': 'curl/8.5.0' })
        .send({})
        .expect(403);
      const { 'accept-language': _omit, ...noLanguage } = BROWSER;
      await post('/suspicious', ip, noLanguage).send({}).expect(403);
    });

    it('tenantPolicy asks the policy with the tenant id, as sent', async () => {
      const ip = newClient();
      await post('/tenant', ip, { ...BROWSER, 'x-tenant-id': 'Strict-Corp' })
        .send({})
        .expect(403);
      await post('/tenant', ip, { ...BROWSER, 'x-tenant-id': 'relaxed' })
        .send({})
        .expect(200);
      await post('/tenant', ip).send({}).expect(200);
    });

    it('anyOf, allOf and not combine conditions', async () => {
      const scripted = { ...BROWSER, 'user-agent': 'python-requests/2.32' };
      await post('/any', '203.0.113.5').send({}).expect(403);
      await post('/any', newClient(), scripted).send({}).expect(403);
      await post('/any', newClient()).send({}).expect(200);
      await post('/all', '203.0.113.5').send({}).expect(200);
      await post('/all', '203.0.113.5', scripted).send({}).expect(403);
      await post('/not', '10.1.2.3').send({}).expect(200);
      await post('/not', newClient()).send({}).expect(403);
    });

    it('accepts any custom function as a condition', async () => {
      await post('/custom', newClient()).send({}).expect(200);
      await post('/custom', newClient(), { ...BROWSER, 'x-risk': 'high' })
        .send({})
        .expect(403);
    });

    it('names conditions stably for logs and metrics', () => {
      expect(failedAttempts({ threshold: 1, window: '1m' }).conditionName).toBe('failedAttempts');
      expect(anyOf(ipIn([]), suspiciousClient()).conditionName).toBe(
        'anyOf(ipIn,suspiciousClient)',
      );
      expect(not(requestRate({ max: 1, window: 1000 })).conditionName).toBe('not(requestRate)');
    });

    it('refuses bad condition options at start-up', () => {
      expect(() => failedAttempts({ threshold: 0, window: '1m' })).toThrow(/threshold/);
      expect(() => requestRate({ max: 5, window: '5 minutes' as never })).toThrow(/not a duration/);
      expect(() => failedAttempts({ threshold: 1, window: '1m', per: 'cookie.sid' })).toThrow(
        /not a subject/,
      );
      // A calm success to the attacker's own account must never clear a per-IP count.
      for (const per of [undefined, 'ip', ' ip ']) {
        expect(() =>
          failedAttempts({ threshold: 1, window: '1m', per, resetOn: 'success' }),
        ).toThrow(/resetOn 'success' cannot be used with per/);
      }
      for (const per of ['ip+body.email', 'body.email', () => 'account-42']) {
        expect(() =>
          failedAttempts({ threshold: 1, window: '1m', per, resetOn: 'success' }),
        ).not.toThrow();
      }
      expect(() =>
        failedAttempts({ threshold: 1, window: '1m', resetOn: 'always' as never }),
      ).toThrow(/resetOn "always" is not one of 'verified', 'success', 'never'/);
      // The former option is refused, not ignored.
      expect(() =>
        failedAttempts({ threshold: 1, window: '1m', resetOnSuccess: false } as never),
      ).toThrow(/resetOnSuccess is no longer supported; use resetOn/);
    });
  });
});
