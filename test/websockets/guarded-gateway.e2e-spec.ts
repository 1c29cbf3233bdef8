import type { AddressInfo } from 'node:net';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  type INestApplication,
  Logger,
  UnauthorizedException,
  UseFilters,
} from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  CaptchaExceptionFilter,
  CaptchaModule,
  type CaptchaModuleOptions,
  failedAttempts,
  RequireCaptcha,
  requestRate,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createHttpAdapter } from '../support/create-app';
import { freePort } from '../support/free-port';
import { Connection, WebSocket, type WsClient } from '../support/ws-connection';

/**
 * The app's own answer to its handlers' HTTP errors (Nest's `exception` event sends nothing on
 * `@nestjs/platform-ws`): the CAPTCHA filter of `@RequireCaptcha` is nearer and answers first.
 */
@Catch(HttpException)
class WsHttpErrors implements ExceptionFilter {
  catch(error: HttpException, host: ArgumentsHost) {
    const client = host.switchToWs().getClient<WsClient>();
    client.send(
      JSON.stringify({
        event: 'exception',
        data: { status: 'error', statusCode: error.getStatus(), message: error.message },
      }),
    );
  }
}

@WebSocketGateway()
@UseFilters(WsHttpErrors)
class GuardedGateway {
  @SubscribeMessage('comment')
  @RequireCaptcha({ action: 'comment' })
  comment(@MessageBody() data: Record<string, unknown>) {
    return { event: 'comment', data: { ok: true, keys: Object.keys(data) } };
  }

  @SubscribeMessage('login')
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 2, window: '15m' }) })
  login(@MessageBody() data: { password?: string }) {
    if (data.password !== 'right') throw new UnauthorizedException();
    return { event: 'login', data: { ok: true } };
  }

  @SubscribeMessage('post')
  @RequireCaptcha({
    action: 'post',
    when: requestRate({ max: 1, window: '15m', per: 'header.x-tenant' }),
  })
  post() {
    return { event: 'post', data: { ok: true } };
  }
}

describe.each(ADAPTERS)(
  '@RequireCaptcha on a WebSocket gateway (@nestjs/platform-ws, %s)',
  (adapter) => {
    let fake: FakeCaptchaServer;
    let apps: INestApplication[] = [];
    const connections: Connection[] = [];

    const options = (): CaptchaModuleOptions => ({
      provider: 'turnstile',
      siteKey: FakeCaptchaServer.siteKeys.turnstile,
      secretKey: FakeCaptchaServer.secrets.turnstile,
      verifyUrl: fake.verifyUrl('turnstile'),
      timeoutMs: 500,
      circuitBreaker: { threshold: 1000, halfOpenAfterMs: 100 },
    });

    const boot = async (
      extra: Partial<CaptchaModuleOptions> = {},
      { globalFilter = false, gateways = [GuardedGateway] as unknown[] } = {},
    ): Promise<string> => {
      const moduleRef = await Test.createTestingModule({
        imports: [CaptchaModule.forRoot({ ...options(), ...extra })],
        providers: gateways as never[],
      }).compile();
      const app = moduleRef.createNestApplication(createHttpAdapter(adapter), { logger: false });
      app.useWebSocketAdapter(new WsAdapter(app));
      if (globalFilter) app.useGlobalFilters(app.get(CaptchaExceptionFilter));
      apps.push(app);
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      return `ws://127.0.0.1:${port}`;
    };
    const connect = async (url: string, headers?: Record<string, string>) => {
      const connection = await Connection.open(url, headers);
      connections.push(connection);
      return connection;
    };
    const token = (action: string) => fake.issueToken({ provider: 'turnstile', action });

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
    });
    afterEach(async () => {
      fake.clearFaults();
      for (const connection of connections.splice(0)) connection.close();
      await Promise.all(apps.map((app) => app.close()));
      apps = [];
    });
    afterAll(async () => {
      await fake.close();
    });

    describe.each([
      ['filter from @RequireCaptcha', false],
      ['filter also global', true],
    ])('%s', (_name, globalFilter) => {
      it('answers a missing token with the exception event: captcha_required and its details', async () => {
        const url = await boot({}, { globalFilter });
        const client = await connect(url);
        const answer = await client.ask('comment', { text: 'hi' });
        expect(answer).toEqual({
          event: 'exception',
          data: {
            status: 'error',
            statusCode: 403,
            error: 'captcha_required',
            message: expect.any(String),
            details: {
              provider: 'turnstile',
              site_key: FakeCaptchaServer.siteKeys.turnstile,
              action: 'comment',
            },
          },
        });
        // The connection stays usable.
        expect(client.open).toBe(true);
      });
    });

    it('lets a good token through, with the token fields taken off the data', async () => {
      const url = await boot();
      const client = await connect(url);
      const answer = await client.ask('comment', { text: 'hi', captchaToken: token('comment') });
      expect(answer).toEqual({ event: 'comment', data: { ok: true, keys: ['text'] } });
      const second = await client.ask('comment', {
        text: 'hi',
        captcha: { token: token('comment'), provider: 'turnstile' },
      });
      expect(second).toEqual({ event: 'comment', data: { ok: true, keys: ['text'] } });
      // The provider was asked with the connection's IP.
      expect(fake.requests.at(-1)?.form?.remoteip).toBe('127.0.0.1');
    });

    it('lets one token through once: replaying it on messages of two connections yields nothing', async () => {
      const url = await boot();
      const clients = await Promise.all([connect(url), connect(url)]);
      const replayed = token('comment');
      const answers = await Promise.all(
        clients.flatMap((client) =>
          [1, 2, 3].map(() => client.ask('comment', { text: 'hi', captchaToken: replayed })),
        ),
      );
      expect(answers.filter((answer) => answer.event === 'comment')).toHaveLength(1);
      const refused = answers.filter((answer) => answer.event === 'exception');
      expect(refused).toHaveLength(5);
      for (const answer of refused) {
        expect(answer.data).toMatchObject({ error: 'captcha_invalid' });
      }
    });

    it('answers a forged token with captcha_invalid and the reason', async () => {
      const url = await boot();
      const client = await connect(url);
      const answer = await client.ask('comment', { text: 'hi', captchaToken: 'forged-token' });
      expect(answer.event).toBe('exception');
      expect(answer.data).toMatchObject({
        error: 'captcha_invalid',
        details: { reason: 'invalid', provider: 'turnstile', action: 'comment' },
      });
    });

    it('answers a provider outage with captcha_unavailable (fail-closed)', async () => {
      const url = await boot();
      const client = await connect(url);
      fake.fault('turnstile', { status: 503 });
      const answer = await client.ask('comment', { text: 'hi', captchaToken: token('comment') });
      expect(answer.event).toBe('exception');
      expect(answer.data).toMatchObject({
        status: 'error',
        error: 'captcha_unavailable',
        details: { provider: 'turnstile', fallback: null },
      });
    });

    it('survives a burst of messages without a token, answering every one', async () => {
      const url = await boot({}, { globalFilter: true });
      const clients = await Promise.all([1, 2, 3, 4].map(() => connect(url)));
      const answers = await Promise.all(
        clients.flatMap((client) =>
          Array.from({ length: 25 }, (_, i) =>
            i % 2 === 0
              ? client.ask('comment', { text: `spam ${i}` }, 5_000)
              : client.ask('login', { password: 'guess' }, 5_000),
          ),
        ),
      );
      expect(answers).toHaveLength(100);
      for (const answer of answers) expect(answer.event).toBe('exception');
      // The server is still up and serving.
      const late = await connect(url);
      expect(await late.ask('comment', { text: 'hi', captchaToken: token('comment') })).toEqual({
        event: 'comment',
        data: { ok: true, keys: ['text'] },
      });
    });

    it('counts failedAttempts per connection IP: a forged X-Forwarded-For is not read without trustProxy', async () => {
      const url = await boot();
      const first = await connect(url, { 'x-forwarded-for': '203.0.113.1' });
      const second = await connect(url, { 'x-forwarded-for': '203.0.113.2' });
      for (const client of [first, second]) {
        const answer = await client.ask('login', { password: 'guess' });
        // The handler ran and failed (the app's answer to its UnauthorizedException).
        expect(answer).toMatchObject({ event: 'exception', data: { statusCode: 401 } });
        expect(answer.data.error).toBeUndefined();
      }
      // Both connections are 127.0.0.1: two failures, the third attempt is challenged.
      const third = await connect(url, { 'x-forwarded-for': '203.0.113.3' });
      expect((await third.ask('login', { password: 'guess' })).data.error).toBe('captcha_required');
    });

    it('reads the client IP from the upgrade request behind a trusted proxy', async () => {
      const url = await boot({ trustProxy: 'loopback' });
      const first = await connect(url, { 'x-forwarded-for': '203.0.113.1' });
      for (let i = 0; i < 2; i++) {
        expect((await first.ask('login', { password: 'guess' })).data.error).toBeUndefined();
      }
      expect((await first.ask('login', { password: 'guess' })).data.error).toBe('captcha_required');
      // Another client behind the proxy has its own count.
      const other = await connect(url, { 'x-forwarded-for': '203.0.113.2' });
      expect((await other.ask('login', { password: 'guess' })).data.error).toBeUndefined();
      // The provider is told the client's IP, not the proxy's.
      expect(await first.ask('comment', { text: 'hi', captchaToken: token('comment') })).toEqual({
        event: 'comment',
        data: { ok: true, keys: ['text'] },
      });
      expect(fake.requests.at(-1)?.form?.remoteip).toBe('203.0.113.1');
    });

    it("reads per: 'header.<name>' from the upgrade request", async () => {
      const url = await boot();
      const acme = await connect(url, { 'x-tenant': 'acme' });
      expect(await acme.ask('post', {})).toEqual({ event: 'post', data: { ok: true } });
      expect((await acme.ask('post', {})).data.error).toBe('captcha_required');
      const globex = await connect(url, { 'x-tenant': 'globex' });
      expect(await globex.ask('post', {})).toEqual({ event: 'post', data: { ok: true } });
    });

    describe('a gateway on its own port (no upgrade request to find)', () => {
      const gatewayOn = async (port: number) => {
        @WebSocketGateway(port)
        class OwnPortGateway extends GuardedGateway {}
        return OwnPortGateway;
      };

      it('counts by the connection peer when it is not a trusted proxy', async () => {
        const port = await freePort();
        await boot({}, { gateways: [await gatewayOn(port)] });
        const url = `ws://127.0.0.1:${port}`;
        const client = await connect(url, { 'x-forwarded-for': '203.0.113.1' });
        for (let i = 0; i < 2; i++) {
          expect((await client.ask('login', { password: 'guess' })).data.error).toBeUndefined();
        }
        const other = await connect(url, { 'x-forwarded-for': '203.0.113.2' });
        expect((await other.ask('login', { password: 'guess' })).data.error).toBe(
          'captcha_required',
        );
      });

      it('refuses (captcha_unavailable) rather than count everyone as the trusted proxy', async () => {
        const port = await freePort();
        await boot({ trustProxy: 'loopback' }, { gateways: [await gatewayOn(port)] });
        const url = `ws://127.0.0.1:${port}`;
        const logged = jest.spyOn(Logger.prototype, 'error');
        const client = await connect(url, { 'x-forwarded-for': '203.0.113.1' });
        const answer = await client.ask('login', { password: 'right' });
        expect(answer.data).toMatchObject({ error: 'captcha_unavailable' });
        expect((await client.ask('login', { password: 'right' })).data.error).toBe(
          'captcha_unavailable',
        );
        // Said once, with what to do.
        const said = logged.mock.calls.filter(
          ([entry]) => (entry as { event?: string }).event === 'captcha.client_unknown',
        );
        logged.mockRestore();
        expect(said).toHaveLength(1);
        expect(said[0][0]).toMatchObject({
          route: 'OwnPortGateway.login',
          fix: expect.any(String),
        });
        // A handler whose condition does not read the client's identity still works.
        expect(await client.ask('comment', { text: 'hi', captchaToken: token('comment') })).toEqual(
          {
            event: 'comment',
            data: { ok: true, keys: ['text'] },
          },
        );
      });
    });
  },
);

describe('the upgrade-request recorder leaves unhandled upgrades alone', () => {
  it('an upgrade to a path no gateway serves is still closed at once', async () => {
    const fake = await FakeCaptchaServer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CaptchaModule.forRoot({
          provider: 'turnstile',
          siteKey: FakeCaptchaServer.siteKeys.turnstile,
          secretKey: FakeCaptchaServer.secrets.turnstile,
          verifyUrl: fake.verifyUrl('turnstile'),
        }),
      ],
      providers: [GuardedGateway],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    try {
      await app.listen(0, '127.0.0.1');
      const server = app.getHttpServer() as import('node:http').Server;
      // The adapter's listener and ours.
      expect(server.listenerCount('upgrade')).toBe(2);
      const { port } = server.address() as AddressInfo;
      const refused = await new Promise<string>((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/nowhere`);
        const timer = setTimeout(() => resolve('hung'), 2_000);
        socket.on('error', () => {
          clearTimeout(timer);
          resolve('closed');
        });
        socket.on('open', () => {
          clearTimeout(timer);
          resolve('opened');
        });
      });
      expect(refused).toBe('closed');
    } finally {
      await app.close();
      await fake.close();
    }
    expect((app.getHttpServer() as import('node:http').Server).listenerCount('upgrade')).toBe(1);
  });
});
