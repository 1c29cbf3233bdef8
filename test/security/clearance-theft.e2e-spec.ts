import { Controller, HttpCode, type INestApplication, Post } from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import { RequireCaptcha, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';

/**
 * Attack: a thief holds a victim's clearance (read off a shared machine, a proxy log, an XSS that
 * reads the `x-captcha-clearance` answer header) and wants to spend it from their own address. The
 * app is behind one trusted proxy (`trustProxy: 'loopback'`; supertest connects from 127.0.0.1),
 * which appends the real client to `X-Forwarded-For`. The thief copies the victim's User-Agent and
 * writes the victim's address into every client-IP header they can set, hoping the binding is
 * checked against one of them. Yield = protected requests let through on the stolen clearance,
 * and uses the thief spends from the victim's budget; both must be 0.
 */

const VICTIM_IP = '203.0.113.10';
const THIEF_IP = '198.51.100.7';
const VICTIM_UA = 'Mozilla/5.0 (X11; Linux x86_64) victim-browser/1';
const USES = 2;

@Controller()
class TransferController {
  @Post('signup')
  @HttpCode(200)
  @RequireCaptcha({ action: 'signup' })
  signup() {
    return { ok: true };
  }
}

/** The headers a thief can set on a request that reaches the app through the trusted proxy. */
const FORGERIES: Record<string, string>[] = [
  // The proxy appends the thief's address; the victim's is what the thief wrote first.
  { 'x-forwarded-for': `${VICTIM_IP}, ${THIEF_IP}` },
  { 'x-forwarded-for': `${VICTIM_IP}, ${VICTIM_IP}, ${THIEF_IP}` },
  { 'x-forwarded-for': THIEF_IP, 'x-real-ip': VICTIM_IP },
  { 'x-forwarded-for': THIEF_IP, 'cf-connecting-ip': VICTIM_IP },
  { 'x-forwarded-for': THIEF_IP, 'true-client-ip': VICTIM_IP },
  { 'x-forwarded-for': THIEF_IP, forwarded: `for=${VICTIM_IP}` },
];

describe.each(ADAPTERS)('%s: a stolen clearance with forged client-IP headers', (adapter) => {
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  const registry = new Registry();

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    const options: CaptchaModuleOptions = {
      provider: 'hcaptcha',
      siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
      secretKey: FakeCaptchaServer.secrets.hcaptcha,
      verifyUrl: fake.verifyUrl('hcaptcha'),
      trustProxy: 'loopback',
      metrics: 'prometheus',
      metricsRegistry: registry,
      clearance: { ttlSeconds: 600, uses: USES, key: 'c0ffee12'.repeat(2) + 'a9b8c7d6e5f40312' },
    };
    app = await createCaptchaApp(options, [TransferController], adapter);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  const wrongClient = async () => {
    const metric = await registry.getSingleMetric('captcha_clearances_total')?.get();
    return metric?.values.find((v) => v.labels.outcome === 'wrong_client')?.value ?? 0;
  };
  const spend = (value: string, headers: Record<string, string>) =>
    request(app.getHttpServer())
      .post('/signup')
      .set(headers)
      .set('user-agent', VICTIM_UA)
      .set('x-captcha-clearance', value)
      .set('cookie', `captcha_clearance=${value}`)
      .send({});

  it('lets none of them through and spends none of the victim’s uses', async () => {
    const earned = await request(app.getHttpServer())
      .post('/signup')
      .set('x-forwarded-for', VICTIM_IP)
      .set('user-agent', VICTIM_UA)
      .send({ captchaToken: fake.issueToken({ provider: 'hcaptcha' }) })
      .expect(200);
    const value = earned.headers['x-captcha-clearance'] as string;
    expect(value).toEqual(expect.any(String));

    const before = await wrongClient();
    let letThrough = 0;
    for (const headers of FORGERIES) {
      const res = await spend(value, headers);
      if (res.status === 200) letThrough++;
      else expect(res.body).toMatchObject({ statusCode: 403, error: 'captcha_required' });
    }
    // In parallel too: a burst of the same forgeries changes nothing.
    const burst = await Promise.all(FORGERIES.map((headers) => spend(value, headers)));
    letThrough += burst.filter((res) => res.status === 200).length;

    expect(letThrough).toBe(0);
    expect(await wrongClient()).toBe(before + 2 * FORGERIES.length);
    // The victim still holds every use: exactly USES pass, the next is exhausted.
    for (let i = 0; i < USES; i++) await spend(value, { 'x-forwarded-for': VICTIM_IP }).expect(200);
    await spend(value, { 'x-forwarded-for': VICTIM_IP }).expect(403);
  });
});
