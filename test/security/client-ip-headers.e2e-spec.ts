import {
  Body,
  Controller,
  Get,
  HttpCode,
  type INestApplication,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { ClientIpResolver, failedAttempts, RequireCaptcha } from 'nestjs-captcha';
import { CaptchaTestingModule, type CaptchaTestingOptions } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp, type HttpAdapterName } from '../support/create-app';

/**
 * Attack: an app behind one trusted proxy (`trustProxy: 'loopback'`; supertest connects from
 * 127.0.0.1) counts wrong passwords per IP. The attacker, who has read the README, sends a fresh
 * `CF-Connecting-IP` / `X-Real-IP` / `True-Client-IP` with every guess, hoping the library takes it
 * for the client IP and gives every guess a fresh counter. Yield = wrong guesses answered (401)
 * before the first challenge; the policy allows 3.
 */

const THRESHOLD = 3;
/** Guesses the attacker sends; before the fix every one of them was answered. */
const GUESSES = 12;

@Controller()
class LoginController {
  constructor(private readonly clientIp: ClientIpResolver) {}

  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: THRESHOLD, window: '15m', per: 'ip' }),
  })
  login(@Body() body: { password?: string }) {
    if (body.password !== 'correct-horse') throw new UnauthorizedException();
    return { ok: true };
  }

  @Get('ip')
  ip(@Req() req: unknown) {
    return this.clientIp.resolve(req);
  }
}

async function createApp(
  adapter: HttpAdapterName,
  options: CaptchaTestingOptions,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaTestingModule.forRoot(options)],
    controllers: [LoginController],
  }).compile();
  return startApp(moduleRef, adapter, { listen: false });
}

/** A distinct public-looking address per call: the attacker's rotation. */
let rotation = 0;
function freshAddress(): string {
  rotation += 1;
  return `198.51.${Math.floor(rotation / 250) % 250}.${(rotation % 250) + 1}`;
}

/**
 * Sends wrong guesses, each with the headers `headersOf(i)` gives, until the first answer that is
 * not a 401; returns how many 401s came before it (all of them when none is challenged).
 */
async function guessesAnswered(
  app: INestApplication,
  headersOf: (i: number) => Record<string, string>,
  guesses = GUESSES,
): Promise<number> {
  for (let i = 0; i < guesses; i++) {
    const res = await request(app.getHttpServer())
      .post('/login')
      .set(headersOf(i))
      .send({ password: `guess-${i}` });
    if (res.status !== 401) {
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('captcha_required');
      return i;
    }
  }
  return guesses;
}

const VENDOR_HEADERS = ['CF-Connecting-IP', 'X-Real-IP', 'True-Client-IP'] as const;

describe.each(ADAPTERS)('%s', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  describe('behind one trusted hop, no client-IP header configured', () => {
    it.each(VENDOR_HEADERS)(
      // Before the fix: all 12 of 12 answered for CF-Connecting-IP and X-Real-IP (True-Client-IP
      // was never read).
      `a fresh %s per guess: challenged after ${THRESHOLD} wrong guesses, not ${GUESSES}`,
      async (header) => {
        app = await createApp(adapter, { trustProxy: 'loopback' });
        const answered = await guessesAnswered(app, () => ({ [header]: freshAddress() }));
        expect(answered).toBe(THRESHOLD);
      },
    );

    it(`all three headers rotated at once, with a fixed X-Forwarded-For client: still ${THRESHOLD}`, async () => {
      app = await createApp(adapter, { trustProxy: 'loopback' });
      const answered = await guessesAnswered(app, () => ({
        'X-Forwarded-For': '203.0.113.9',
        'CF-Connecting-IP': freshAddress(),
        'X-Real-IP': freshAddress(),
        'True-Client-IP': freshAddress(),
      }));
      expect(answered).toBe(THRESHOLD);
    });

    it('the client IP is the X-Forwarded-For entry (or the socket), never a vendor header', async () => {
      app = await createApp(adapter, { trustProxy: 'loopback' });
      const spoofed = {
        'CF-Connecting-IP': '198.51.100.77',
        'X-Real-IP': '198.51.100.88',
        'True-Client-IP': '198.51.100.99',
      };
      const viaXff = await request(app.getHttpServer())
        .get('/ip')
        .set({ ...spoofed, 'X-Forwarded-For': '203.0.113.7' })
        .expect(200);
      expect(viaXff.body).toEqual({ ip: '203.0.113.7', source: 'x-forwarded-for' });
      const bare = await request(app.getHttpServer()).get('/ip').set(spoofed).expect(200);
      expect(bare.body).toEqual({ ip: '127.0.0.1', source: 'socket' });
    });
  });

  describe("clientIpHeader: 'cf-connecting-ip'", () => {
    it('from a trusted peer the header is the client: one CF-Connecting-IP is one counter, whatever X-Forwarded-For says', async () => {
      app = await createApp(adapter, {
        trustProxy: 'loopback',
        clientIpHeader: 'cf-connecting-ip',
      });
      const res = await request(app.getHttpServer())
        .get('/ip')
        .set({ 'CF-Connecting-IP': '2001:DB8::77', 'X-Real-IP': '198.51.100.88' })
        .expect(200);
      expect(res.body).toEqual({ ip: '2001:db8::77', source: 'cf-connecting-ip' });
      // The CDN's header names the client: rotating X-Forwarded-For (which the CDN passes
      // through from the client) does not give fresh counters.
      const answered = await guessesAnswered(app, () => ({
        'CF-Connecting-IP': '203.0.113.50',
        'X-Forwarded-For': freshAddress(),
      }));
      expect(answered).toBe(THRESHOLD);
    });

    it('from a trusted peer, distinct CF-Connecting-IP values are distinct clients (the header is honoured)', async () => {
      app = await createApp(adapter, {
        trustProxy: 'loopback',
        clientIpHeader: 'CF-Connecting-IP',
      });
      const answered = await guessesAnswered(
        app,
        () => ({ 'CF-Connecting-IP': freshAddress() }),
        6,
      );
      expect(answered).toBe(6);
    });

    it.each<[string, string]>([
      ['garbage', 'not-an-ip'],
      ['a list', '198.51.100.1, 198.51.100.2'],
      ['a zone id', 'fe80::1%eth0'],
    ])('holding %s: the X-Forwarded-For walk decides', async (_name, value) => {
      app = await createApp(adapter, {
        trustProxy: 'loopback',
        clientIpHeader: 'cf-connecting-ip',
      });
      const res = await request(app.getHttpServer())
        .get('/ip')
        .set({ 'CF-Connecting-IP': value, 'X-Forwarded-For': '203.0.113.7' })
        .expect(200);
      expect(res.body).toEqual({ ip: '203.0.113.7', source: 'x-forwarded-for' });
      const missing = await request(app.getHttpServer()).get('/ip').expect(200);
      expect(missing.body).toEqual({ ip: '127.0.0.1', source: 'socket' });
    });

    it(`from an untrusted peer the header is ignored: a fresh CF-Connecting-IP per guess is still challenged after ${THRESHOLD}`, async () => {
      app = await createApp(adapter, {
        trustProxy: '10.0.0.0/8',
        clientIpHeader: 'cf-connecting-ip',
      });
      const res = await request(app.getHttpServer())
        .get('/ip')
        .set({ 'CF-Connecting-IP': '198.51.100.77' })
        .expect(200);
      expect(res.body).toEqual({ ip: '127.0.0.1', source: 'socket' });
      const answered = await guessesAnswered(app, () => ({ 'CF-Connecting-IP': freshAddress() }));
      expect(answered).toBe(THRESHOLD);
    });
  });
});
