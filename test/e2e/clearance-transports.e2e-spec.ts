import type { AddressInfo } from 'node:net';
import {
  Controller,
  HttpCode,
  type INestApplication,
  type INestMicroservice,
  Post,
} from '@nestjs/common';
import {
  ClientProxyFactory,
  type ClientProxy,
  MessagePattern,
  type MicroserviceOptions,
  Payload,
  Transport,
} from '@nestjs/microservices';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Registry } from 'prom-client';
import { lastValueFrom, timeout } from 'rxjs';
import request from 'supertest';
import { CaptchaModule, type CaptchaModuleOptions, RequireCaptcha } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createHttpAdapter } from '../support/create-app';
import { freePort } from '../support/free-port';
import { Connection } from '../support/ws-connection';

const KEY = 'f3b1c9a07e2d4856b0a1c7e9d3f5a2b4c6e8d0f1a3b5c7d9';
const UA = 'agent/1';

@Controller()
class CommentController {
  @Post('comment')
  @HttpCode(200)
  @RequireCaptcha({ action: 'comment' })
  comment() {
    return { ok: true };
  }
}

@WebSocketGateway()
class CommentGateway {
  @SubscribeMessage('comment')
  @RequireCaptcha({ action: 'comment' })
  comment(@MessageBody() data: Record<string, unknown>) {
    return { event: 'comment', data: { ok: true, keys: Object.keys(data) } };
  }
}

@Controller()
class CommentHandlers {
  @MessagePattern('comment')
  @RequireCaptcha({ action: 'comment' })
  comment(@Payload() data: Record<string, unknown>) {
    return { ok: true, keys: Object.keys(data) };
  }
}

async function clearanceOutcomes(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('captcha_clearances_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.outcome !== 'issued')
    .reduce((sum, v) => sum + v.value, 0);
}

describe.each(ADAPTERS)('clearance over other transports (%s)', (adapter) => {
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  let service: INestMicroservice;
  let client: ClientProxy;
  let wsUrl: string;
  const registry = new Registry();
  const serviceRegistry = new Registry();

  const options = (metricsRegistry: Registry): CaptchaModuleOptions => ({
    provider: 'hcaptcha',
    siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
    secretKey: FakeCaptchaServer.secrets.hcaptcha,
    verifyUrl: fake.verifyUrl('hcaptcha'),
    metrics: 'prometheus',
    metricsRegistry,
    clearance: { ttlSeconds: 600, key: KEY },
  });

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [CaptchaModule.forRoot(options(registry))],
      controllers: [CommentController],
      providers: [CommentGateway],
    }).compile();
    app = moduleRef.createNestApplication(createHttpAdapter(adapter), { logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    wsUrl = `ws://127.0.0.1:${port}`;

    const tcpPort = await freePort();
    const serviceRef = await Test.createTestingModule({
      imports: [CaptchaModule.forRoot(options(serviceRegistry))],
      controllers: [CommentHandlers],
    }).compile();
    service = serviceRef.createNestMicroservice<MicroserviceOptions>({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: tcpPort },
      logger: false,
    });
    await service.listen();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: tcpPort },
    });
    await client.connect();
  });
  afterAll(async () => {
    client.close();
    await service.close();
    await app.close();
    await fake.close();
  });

  /** A clearance earned over HTTP from 127.0.0.1 with the User-Agent the WebSocket client sends. */
  const earn = async () => {
    const res = await request(app.getHttpServer())
      .post('/comment')
      .set('user-agent', UA)
      .send({ captchaToken: fake.issueToken({ provider: 'hcaptcha' }) })
      .expect(200);
    const value = res.headers['x-captcha-clearance'] as string;
    expect(value).toMatch(/\./);
    // The same client over HTTP: honoured.
    await request(app.getHttpServer())
      .post('/comment')
      .set('user-agent', UA)
      .set('cookie', `captcha_clearance=${value}`)
      .send({})
      .expect(200);
    return value;
  };

  it('never honours it on a WebSocket message, even from the client it was issued to', async () => {
    const value = await earn();
    const outcomes = await clearanceOutcomes(registry);
    const connection = await Connection.open(wsUrl, {
      'user-agent': UA,
      cookie: `captcha_clearance=${value}`,
      'x-captcha-clearance': value,
    });
    try {
      const answer = await connection.ask('comment', { text: 'hi' });
      expect(answer.event).toBe('exception');
      expect(answer.data).toMatchObject({ statusCode: 403, error: 'captcha_required' });
    } finally {
      connection.close();
    }
    // Not even read: no outcome counted.
    expect(await clearanceOutcomes(registry)).toBe(outcomes);
  });

  it('never honours it in an RPC message, whatever the payload carries', async () => {
    const value = await earn();
    const answer = await lastValueFrom(
      client
        .send('comment', {
          text: 'hi',
          headers: {
            'x-captcha-clearance': value,
            cookie: `captcha_clearance=${value}`,
            'user-agent': UA,
          },
        })
        .pipe(timeout(2_000)),
    ).then(
      (ok: unknown) => ({ ok }),
      (error: unknown) => ({ error }),
    );
    expect(answer).toEqual({
      error: expect.objectContaining({ statusCode: 403, error: 'captcha_required' }),
    });
    expect(await clearanceOutcomes(serviceRegistry)).toBe(0);
  });
});
