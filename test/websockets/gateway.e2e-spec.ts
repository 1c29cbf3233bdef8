import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  SubscribeMessage,
  WebSocketGateway,
  type WsResponse,
} from '@nestjs/websockets';
import { CaptchaUnavailableError, CaptchaVerifier, ClientIpResolver } from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';
import { Connection } from '../support/ws-connection';

type CommentAnswer = { ok: true } | { error: string };

/** The pattern: no guard, the gateway asks the verifier itself and answers in its own protocol. */
@WebSocketGateway()
class CommentGateway implements OnGatewayConnection {
  /** The client IP of each connection, read once from the upgrade request (`trustProxy` applied). */
  private readonly clientIps = new WeakMap<object, string | undefined>();

  constructor(
    private readonly captcha: CaptchaVerifier,
    private readonly clientIp: ClientIpResolver,
  ) {}

  handleConnection(client: object, request: IncomingMessage): void {
    this.clientIps.set(client, this.clientIp.resolve(request).ip);
  }

  @SubscribeMessage('comment')
  async comment(
    @ConnectedSocket() client: object,
    @MessageBody() data: { text?: string; captchaToken?: unknown } | undefined,
  ): Promise<WsResponse<CommentAnswer>> {
    try {
      const verification = await this.captcha.verify(data?.captchaToken, {
        action: 'comment',
        remoteIp: this.clientIps.get(client),
      });
      return {
        event: 'comment',
        data: verification.success ? { ok: true } : { error: verification.reason ?? 'invalid' },
      };
    } catch (error) {
      // The provider could not answer: the handler chooses its own outage policy (here: closed).
      if (error instanceof CaptchaUnavailableError) {
        return { event: 'comment', data: { error: 'unavailable' } };
      }
      throw error;
    }
  }
}

describe('CaptchaVerifier in a WebSocket gateway (@nestjs/platform-ws)', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CaptchaTestingModule.forRoot()],
      providers: [CommentGateway],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    url = `ws://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  /** Opens a connection, sends one message and resolves with the first answer. */
  const exchange = async (message: {
    event: string;
    data: unknown;
  }): Promise<{ event: string; data: CommentAnswer }> => {
    const connection = await Connection.open(url);
    try {
      return (await connection.ask(message.event, message.data)) as unknown as {
        event: string;
        data: CommentAnswer;
      };
    } finally {
      connection.close();
    }
  };

  it('accepts a good token, passing the action and the connection IP to the verifier', async () => {
    const verify = jest.spyOn(app.get(CaptchaVerifier), 'verify');
    const answer = await exchange({
      event: 'comment',
      data: { text: 'hi', captchaToken: CAPTCHA_TEST_TOKENS.pass },
    });
    expect(answer).toEqual({ event: 'comment', data: { ok: true } });
    expect(verify).toHaveBeenCalledWith(CAPTCHA_TEST_TOKENS.pass, {
      action: 'comment',
      remoteIp: '127.0.0.1',
    });
    verify.mockRestore();
  });

  it('answers a forged token with the reason', async () => {
    const answer = await exchange({
      event: 'comment',
      data: { text: 'hi', captchaToken: 'forged-token' },
    });
    expect(answer).toEqual({ event: 'comment', data: { error: 'invalid' } });
  });

  it('answers a missing token and a provider outage in the gateway protocol', async () => {
    expect(await exchange({ event: 'comment', data: { text: 'hi' } })).toEqual({
      event: 'comment',
      data: { error: 'missing' },
    });
    expect(
      await exchange({
        event: 'comment',
        data: { text: 'hi', captchaToken: CAPTCHA_TEST_TOKENS.unavailable },
      }),
    ).toEqual({ event: 'comment', data: { error: 'unavailable' } });
  });
});
