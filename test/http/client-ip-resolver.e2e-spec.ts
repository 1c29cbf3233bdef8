import { Controller, Get, type INestApplication, Req } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { ClientIpResolver } from 'nestjs-captcha';
import { CaptchaTestingModule, type CaptchaTestingOptions } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp, type HttpAdapterName } from '../support/create-app';

@Controller()
class ClientIpController {
  constructor(private readonly clientIp: ClientIpResolver) {}

  @Get('ip')
  ip(@Req() req: unknown) {
    return this.clientIp.resolve(req);
  }
}

async function createApp(
  options: CaptchaTestingOptions,
  adapter: HttpAdapterName,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaTestingModule.forRoot(options)],
    controllers: [ClientIpController],
  }).compile();
  return startApp(moduleRef, adapter);
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('ClientIpResolver from the module, in a Nest app', () => {
    let trusting: INestApplication;
    let distrusting: INestApplication;

    beforeAll(async () => {
      trusting = await createApp({ trustProxy: 'loopback' }, adapter);
      distrusting = await createApp({ trustProxy: '10.0.0.0/8' }, adapter);
    });

    afterAll(async () => {
      await trusting?.close();
      await distrusting?.close();
    });

    it('trustProxy loopback: resolve() sees the X-Forwarded-For client', async () => {
      const res = await request(await trusting.getUrl())
        .get('/ip')
        .set('X-Forwarded-For', '198.51.100.1, 2001:DB8::7')
        .expect(200);
      expect(res.body).toEqual({ ip: '2001:db8::7', source: 'x-forwarded-for' });
    });

    it('trustProxy loopback: malformed X-Forwarded-For falls back to the socket', async () => {
      const res = await request(await trusting.getUrl())
        .get('/ip')
        .set('X-Forwarded-For', '203.0.113.7, unknown')
        .expect(200);
      expect(res.body).toEqual({ ip: '127.0.0.1', source: 'socket' });
    });

    it('trustProxy loopback, no clientIpHeader: CF-Connecting-IP / X-Real-IP / True-Client-IP are not read', async () => {
      const res = await request(await trusting.getUrl())
        .get('/ip')
        .set('CF-Connecting-IP', '198.51.100.77')
        .set('X-Real-IP', '198.51.100.88')
        .set('True-Client-IP', '198.51.100.99')
        .expect(200);
      expect(res.body).toEqual({ ip: '127.0.0.1', source: 'socket' });
    });

    it('a peer outside trustProxy: spoofed headers are ignored', async () => {
      const res = await request(await distrusting.getUrl())
        .get('/ip')
        .set('X-Forwarded-For', '203.0.113.7')
        .set('CF-Connecting-IP', '198.51.100.77')
        .expect(200);
      expect(res.body).toEqual({ ip: '127.0.0.1', source: 'socket' });
    });
  });
});
