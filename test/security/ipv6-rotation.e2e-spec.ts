import {
  Body,
  Controller,
  Get,
  HttpCode,
  type INestApplication,
  Post,
  Query,
  UnauthorizedException,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CaptchaRiskService, failedAttempts, requestRate, RequireCaptcha } from 'nestjs-captcha';
import { CaptchaTestingModule, type CaptchaTestingOptions } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp, type HttpAdapterName } from '../support/create-app';
import { RedisServer } from '../support/redis-server';

/**
 * Attack: an IPv6 client owns at least a /64 (often a /56 or /48), i.e. 2^64 addresses. Counting
 * wrong passwords per address lets it take a fresh address for every guess. The app sits behind
 * one trusted hop (`trustProxy: 'loopback'`), which appends the client's address to
 * X-Forwarded-For. Yield = wrong guesses answered (401) before the first challenge; the policy
 * allows 3 per client.
 */

const THRESHOLD = 3;
const GUESSES = 12;

@Controller()
class LoginController {
  constructor(private readonly risk: CaptchaRiskService) {}

  /** The login failures `CaptchaRiskService` sees for a full address, as an app would ask. */
  @Get('failures')
  async failures(@Query('ip') ip: string) {
    return { failures: await this.risk.failures('login', ip) };
  }

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

  @Post('comment')
  @HttpCode(201)
  @RequireCaptcha({ action: 'comment', when: requestRate({ max: 2, window: '1m' }) })
  comment() {
    return { ok: true };
  }
}

async function createApp(
  adapter: HttpAdapterName,
  options: CaptchaTestingOptions = {},
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaTestingModule.forRoot({ trustProxy: 'loopback', ...options })],
    controllers: [LoginController],
  }).compile();
  return startApp(moduleRef, adapter, { listen: false });
}

let counter = 0;
/** A random-looking interface id, the way privacy extensions (RFC 8981) rotate them. */
function interfaceId(): string {
  counter += 1;
  const hex = (n: number) => ((n * 2_654_435_761 + counter * 40_503) >>> 16).toString(16);
  return `${hex(counter)}:${hex(counter + 1)}:${hex(counter + 2)}:${hex(counter + 3)}`;
}

/**
 * Sends wrong guesses from the addresses `addressOf(i)` gives (via X-Forwarded-For), until the
 * first answer that is not a 401; returns how many 401s came before it.
 */
async function guessesAnswered(
  apps: INestApplication[],
  addressOf: (i: number) => string,
  guesses = GUESSES,
): Promise<number> {
  for (let i = 0; i < guesses; i++) {
    const app = apps[i % apps.length];
    const res = await request(app.getHttpServer())
      .post('/login')
      .set('X-Forwarded-For', addressOf(i))
      .send({ password: `guess-${i}` });
    if (res.status !== 401) {
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('captcha_required');
      return i;
    }
  }
  return guesses;
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('memory store, default prefix /64', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createApp(adapter);
    });
    afterAll(() => app.close());

    it(`a fresh address of one /64 per guess: challenged after ${THRESHOLD} wrong guesses, not ${GUESSES} (before the fix: ${GUESSES} of ${GUESSES})`, async () => {
      const answered = await guessesAnswered([app], () => `2001:db8:1:1:${interfaceId()}`);
      expect(answered).toBe(THRESHOLD);
    });

    it('CaptchaRiskService, given any full address of the /64, reads the same counter', async () => {
      expect(await guessesAnswered([app], () => `2001:db8:9:9:${interfaceId()}`, THRESHOLD)).toBe(
        THRESHOLD,
      );
      const failures = async (ip: string) =>
        (await request(app.getHttpServer()).get('/failures').query({ ip }).expect(200)).body;
      expect(await failures(`2001:db8:9:9:${interfaceId()}`)).toEqual({ failures: THRESHOLD });
      expect(await failures(`2001:db8:9:10:${interfaceId()}`)).toEqual({ failures: 0 });
    });

    it('addresses in different /64s are different clients', async () => {
      // Exhaust one /64, then each neighbouring /64 still gets its own first guess answered.
      expect(await guessesAnswered([app], () => `2001:db8:2:a:${interfaceId()}`)).toBe(THRESHOLD);
      for (const network of ['2001:db8:2:b', '2001:db8:2:c', '2001:db8:3:a']) {
        expect(await guessesAnswered([app], () => `${network}:${interfaceId()}`, 1)).toBe(1);
      }
    });

    it('IPv6 notation does not matter: upper case, zeros spelled out, brackets and ports are one /64', async () => {
      const forms = [
        '2001:DB8:4:4::1',
        '2001:0db8:0004:0004:0000:0000:0000:0002',
        '[2001:db8:4:4::3]:443',
        '2001:db8:4:4:ffff:ffff:ffff:ffff',
      ];
      expect(await guessesAnswered([app], (i) => forms[i % forms.length])).toBe(THRESHOLD);
    });

    it('::ffff:1.2.3.4 and 1.2.3.4 are one client', async () => {
      const forms = ['::ffff:192.0.2.44', '192.0.2.44', '::FFFF:192.0.2.44'];
      expect(await guessesAnswered([app], (i) => forms[i % forms.length])).toBe(THRESHOLD);
      // Its IPv4 neighbour is another client.
      expect(await guessesAnswered([app], () => '192.0.2.45', 1)).toBe(1);
    });

    it('requestRate (per ip by default) groups a /64 too: 2 requests, then a challenge', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await request(app.getHttpServer())
          .post('/comment')
          .set('X-Forwarded-For', `2001:db8:5:5:${interfaceId()}`);
        statuses.push(res.status);
      }
      expect(statuses).toEqual([201, 201, 403, 403, 403]);
    });
  });

  describe('configured prefix', () => {
    let app: INestApplication | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    it(`ipv6Prefix 56: rotating across the /64s of one /56 yields ${THRESHOLD}; another /56 is another client`, async () => {
      app = await createApp(adapter, { ipv6Prefix: 56 });
      const apps = [app];
      // 2001:db8:6:100::/56 holds the /64s 2001:db8:6:100 … 2001:db8:6:1ff.
      const answered = await guessesAnswered(
        apps,
        (i) => `2001:db8:6:${(0x100 + i * 17).toString(16)}:${interfaceId()}`,
      );
      expect(answered).toBe(THRESHOLD);
      expect(await guessesAnswered(apps, () => `2001:db8:6:200:${interfaceId()}`, 1)).toBe(1);
    });

    it('ipv6Prefix 128: every address is its own client (grouping off)', async () => {
      app = await createApp(adapter, { ipv6Prefix: 128 });
      expect(await guessesAnswered([app], () => `2001:db8:7:7:${interfaceId()}`, 6)).toBe(6);
      // The same address is still one client.
      expect(await guessesAnswered([app], () => '2001:db8:7:7::1')).toBe(THRESHOLD);
    });
  });

  describe('Redis store, two instances sharing it', () => {
    let redis: RedisServer;
    let apps: INestApplication[] = [];
    beforeAll(async () => {
      redis = await RedisServer.start();
      const options: CaptchaTestingOptions = {
        store: 'redis',
        redis: { url: redis.url, keyPrefix: `ipv6-rotation-${adapter}:` },
      };
      apps = [await createApp(adapter, options), await createApp(adapter, options)];
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await redis.stop();
    });

    it(`a fresh address of one /64 per guess, alternating instances: challenged after ${THRESHOLD}`, async () => {
      expect(await guessesAnswered(apps, () => `2001:db8:8:8:${interfaceId()}`)).toBe(THRESHOLD);
      expect(await guessesAnswered(apps, () => `2001:db8:8:9:${interfaceId()}`, 2)).toBe(2);
    });
  });
});
