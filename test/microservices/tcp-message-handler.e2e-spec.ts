import {
  Controller,
  type INestMicroservice,
  type Type,
  UnauthorizedException,
} from '@nestjs/common';
import {
  ClientProxyFactory,
  type ClientProxy,
  EventPattern,
  MessagePattern,
  type MicroserviceOptions,
  Payload,
  RpcException,
  Transport,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { lastValueFrom, timeout } from 'rxjs';
import {
  CaptchaExceptionFilter,
  CaptchaModule,
  type CaptchaModuleOptions,
  failedAttempts,
  ipIn,
  RequireCaptcha,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { until } from '../support/eventually';
import { freePort } from '../support/free-port';

/** What the event handler saw, for the event tests. */
const events: unknown[] = [];

@Controller()
class AccountHandlers {
  @MessagePattern('comment')
  @RequireCaptcha({ action: 'comment' })
  comment(@Payload() data: Record<string, unknown>) {
    return { ok: true, keys: Object.keys(data) };
  }

  @MessagePattern('login')
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 2, window: '15m', per: 'data.email' }),
  })
  login(@Payload() data: { email?: string; password?: string }) {
    if (data.password !== 'right') throw new UnauthorizedException();
    return { ok: true };
  }

  @MessagePattern('pin')
  @RequireCaptcha({
    action: 'pin',
    when: failedAttempts({
      threshold: 1,
      window: '15m',
      per: 'data.account',
      countOn: [RpcException],
    }),
  })
  pin(@Payload() data: { pin?: string }) {
    if (data.pin !== '1234') throw new RpcException({ status: 'error', message: 'wrong pin' });
    return { ok: true };
  }

  @EventPattern('signed-up')
  @RequireCaptcha({ action: 'signup' })
  signedUp(@Payload() data: Record<string, unknown>) {
    events.push(data);
  }
}

@Controller()
class PerIpHandlers {
  @MessagePattern('login')
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 2, window: '15m' }) })
  login() {
    return { ok: true };
  }

  @MessagePattern('internal')
  @RequireCaptcha({ action: 'internal', when: ipIn(['10.0.0.0/8']) })
  internal() {
    return { ok: true };
  }
}

const TIMEOUT_MS = 2_000;

describe('@RequireCaptcha on a TCP microservice (@MessagePattern, @EventPattern)', () => {
  let fake: FakeCaptchaServer;
  let service: INestMicroservice | undefined;
  let client: ClientProxy | undefined;

  const options = (): CaptchaModuleOptions => ({
    provider: 'turnstile',
    siteKey: FakeCaptchaServer.siteKeys.turnstile,
    secretKey: FakeCaptchaServer.secrets.turnstile,
    verifyUrl: fake.verifyUrl('turnstile'),
    timeoutMs: 500,
    circuitBreaker: { threshold: 1000, halfOpenAfterMs: 100 },
  });

  const boot = async ({ globalFilter = false, controllers = [AccountHandlers] as Type[] } = {}) => {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [CaptchaModule.forRoot(options())],
      controllers,
    }).compile();
    service = moduleRef.createNestMicroservice<MicroserviceOptions>({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: false,
    });
    if (globalFilter) service.useGlobalFilters(service.get(CaptchaExceptionFilter));
    await service.listen();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    await client.connect();
  };
  /** Sends one message; resolves with the answer, rejects with the error, or after the timeout. */
  const send = (pattern: string, data: unknown): Promise<unknown> =>
    lastValueFrom(client!.send(pattern, data).pipe(timeout(TIMEOUT_MS)));
  const failure = (pattern: string, data: unknown): Promise<Record<string, unknown>> =>
    send(pattern, data).then(
      (answer) => {
        throw new Error(`answered ${JSON.stringify(answer)}`);
      },
      (error: unknown) => error as Record<string, unknown>,
    );
  const token = (action: string) => fake.issueToken({ provider: 'turnstile', action });

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
  });
  afterEach(async () => {
    fake.clearFaults();
    client?.close();
    await service?.close();
    client = service = undefined;
    events.length = 0;
  });
  afterAll(async () => {
    await fake.close();
  });

  describe.each([
    ['filter from @RequireCaptcha', false],
    ['filter also global', true],
  ])('%s', (_name, globalFilter) => {
    it("errors the caller's observable with captcha_required and its details", async () => {
      await boot({ globalFilter });
      expect(await failure('comment', { text: 'hi' })).toEqual({
        status: 'error',
        statusCode: 403,
        error: 'captcha_required',
        message: expect.any(String),
        details: {
          provider: 'turnstile',
          site_key: FakeCaptchaServer.siteKeys.turnstile,
          action: 'comment',
        },
      });
    });
  });

  it('runs the handler for a good token, with the token fields taken off the payload', async () => {
    await boot();
    expect(await send('comment', { text: 'hi', captchaToken: token('comment') })).toEqual({
      ok: true,
      keys: ['text'],
    });
    expect(
      await send('comment', {
        text: 'hi',
        captcha: { token: token('comment'), provider: 'turnstile' },
      }),
    ).toEqual({ ok: true, keys: ['text'] });
    // The caller is a service, not the end user: the provider is not sent its address.
    expect(fake.requests.at(-1)?.form).not.toHaveProperty('remoteip');
  });

  it('does not read a client IP from the payload', async () => {
    await boot();
    await send('comment', {
      text: 'hi',
      captchaToken: token('comment'),
      socket: { remoteAddress: '198.51.100.7' },
      headers: { 'x-forwarded-for': '198.51.100.7' },
    });
    expect(fake.requests.at(-1)?.form).not.toHaveProperty('remoteip');
  });

  it('lets one token through once: replaying it yields nothing', async () => {
    await boot();
    const replayed = token('comment');
    const answers = await Promise.allSettled(
      [1, 2, 3, 4, 5].map(() => send('comment', { text: 'hi', captchaToken: replayed })),
    );
    expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status === 'rejected')) {
      expect((answer as PromiseRejectedResult).reason).toMatchObject({ error: 'captcha_invalid' });
    }
  });

  it('answers a forged token with captcha_invalid and the reason', async () => {
    await boot();
    expect(await failure('comment', { text: 'hi', captchaToken: 'forged-token' })).toMatchObject({
      status: 'error',
      error: 'captcha_invalid',
      details: { reason: 'invalid', provider: 'turnstile', action: 'comment' },
    });
  });

  it('answers a provider outage with captcha_unavailable (fail-closed)', async () => {
    await boot();
    fake.fault('turnstile', { status: 503 });
    expect(await failure('comment', { text: 'hi', captchaToken: token('comment') })).toMatchObject({
      error: 'captcha_unavailable',
      details: { provider: 'turnstile', fallback: null },
    });
  });

  it('answers every message of a burst without a token, and stays up', async () => {
    await boot({ globalFilter: true });
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0
          ? failure('comment', { text: `spam ${i}` })
          : failure('login', { email: `victim${i % 3}@example.com`, password: 'guess' }),
      ),
    );
    expect(answers).toHaveLength(100);
    for (const answer of answers) expect(answer).toHaveProperty('status', 'error');
    expect(answers.filter((a) => a.error === 'captcha_required').length).toBeGreaterThanOrEqual(50);
    expect(await send('comment', { text: 'hi', captchaToken: token('comment') })).toEqual({
      ok: true,
      keys: ['text'],
    });
  });

  it("counts failedAttempts per data.email: one subject's failures do not lock another", async () => {
    await boot();
    for (let i = 0; i < 2; i++) {
      const answer = await failure('login', { email: 'alice@example.com', password: 'guess' });
      // The handler ran and threw (Nest's answer to an error it does not know).
      expect(answer.error).toBeUndefined();
    }
    expect((await failure('login', { email: 'ALICE@example.com', password: 'guess' })).error).toBe(
      'captcha_required',
    );
    // Bob is not locked by Alice's failures.
    expect(await send('login', { email: 'bob@example.com', password: 'right' })).toEqual({
      ok: true,
    });
    // Alice gets through with a solved challenge.
    expect(
      await send('login', {
        email: 'alice@example.com',
        password: 'right',
        captchaToken: token('login'),
      }),
    ).toEqual({ ok: true });
  });

  it('counts an RpcException named in countOn', async () => {
    await boot();
    expect(await failure('pin', { account: 'a1', pin: '0000' })).toEqual({
      status: 'error',
      message: 'wrong pin',
    });
    expect((await failure('pin', { account: 'a1', pin: '1234' })).error).toBe('captcha_required');
    expect(await send('pin', { account: 'a2', pin: '1234' })).toEqual({ ok: true });
  });

  it('guards an event handler: an event without a token is dropped, the service stays up', async () => {
    await boot();
    await lastValueFrom(client!.emit('signed-up', { user: 'spam' }).pipe(timeout(TIMEOUT_MS)));
    await lastValueFrom(
      client!
        .emit('signed-up', { user: 'ann', captchaToken: token('signup') })
        .pipe(timeout(TIMEOUT_MS)),
    );
    await until(() => events.length > 0, 'the guarded event handler running', TIMEOUT_MS);
    expect(events).toEqual([{ user: 'ann' }]);
    expect(await send('comment', { text: 'hi', captchaToken: token('comment') })).toEqual({
      ok: true,
      keys: ['text'],
    });
  });

  it('refuses per-IP conditions on message handlers at start-up: the caller is a service', async () => {
    await expect(boot({ controllers: [PerIpHandlers] })).rejects.toThrow(
      /PerIpHandlers\.login: the condition reads 'ip'[\s\S]*PerIpHandlers\.internal: the condition reads 'ip'/,
    );
  });
});
