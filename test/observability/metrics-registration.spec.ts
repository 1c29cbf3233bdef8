import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { CaptchaModule, CaptchaVerifier } from 'nestjs-captcha';

const ALTCHA = { hmacKey: 'metrics-test-hmac-key-0123456789' };

describe('metrics registration', () => {
  it('lets two modules (or a hot reload) register on one registry and share the counters', async () => {
    const registry = new Registry();
    const boot = async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          CaptchaModule.forRoot({
            provider: 'altcha',
            altcha: ALTCHA,
            metrics: 'prometheus',
            metricsRegistry: registry,
          }),
        ],
      }).compile();
      await moduleRef.init();
      return moduleRef;
    };
    const first = await boot();
    const second = await boot();
    await first.get(CaptchaVerifier).verify('not base64 json', { action: 'comment' });
    await second.get(CaptchaVerifier).verify('', { action: 'comment' });
    const metric = registry.getSingleMetric('captcha_verifications_total')!;
    expect((await metric.get()).values).toEqual([
      { labels: { provider: 'altcha', action: 'comment', outcome: 'malformed' }, value: 2 },
    ]);
    await first.close();
    await second.close();
  });

  it('registers nothing with metrics: false', async () => {
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CaptchaModule.forRoot({
          provider: 'altcha',
          altcha: ALTCHA,
          metrics: false,
          metricsRegistry: registry,
        }),
      ],
    }).compile();
    await moduleRef.get(CaptchaVerifier).verify('x');
    expect(await registry.metrics()).toBe('\n');
    await moduleRef.close();
  });
});
