import { Controller, HttpCode, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import request from 'supertest';
import {
  CaptchaModule,
  CaptchaStore,
  CaptchaStoreError,
  failedAttempts,
  RequireCaptcha,
} from 'nestjs-captcha';
import { startApp } from '../support/create-app';
import { RedisServer } from '../support/redis-server';

@Controller()
class LoginController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 3, window: '1m' }) })
  login() {
    return { ok: true };
  }
}

describe('captcha_store_failures_total', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let registry: Registry;
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;

  beforeAll(async () => {
    redis = await RedisServer.start();
    registry = new Registry();
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const moduleRef = await Test.createTestingModule({
      imports: [
        CaptchaModule.forRoot({
          provider: 'altcha',
          altcha: { hmacKey: 'store-failure-metrics-hmac-key-0123456789' },
          store: 'redis',
          redis: { url: redis.url },
          metrics: 'both',
          metricsRegistry: registry,
        }),
      ],
      controllers: [LoginController],
    }).compile();
    app = await startApp(moduleRef, 'express', { listen: false });
  });
  afterAll(async () => {
    await redis.start();
    await app.close();
    await redis.stop();
    await reader.shutdown();
    metrics.disable();
  });

  const failures = async () => {
    const metric = registry.getSingleMetric('captcha_store_failures_total');
    const values = metric ? (await metric.get()).values : [];
    return Object.fromEntries(values.map((v) => [v.labels.operation, v.value]));
  };

  it('counts store calls that fail while Redis is down, by operation, in Prometheus and OpenTelemetry', async () => {
    await request(app.getHttpServer()).post('/login').send({}).expect(200);
    expect(await failures()).toEqual({});

    await redis.stop();
    // The guard's condition cannot count the attempt: 503 (storeFailureMode closed).
    await request(app.getHttpServer()).post('/login').send({}).expect(503);
    const store = app.get<CaptchaStore>(CaptchaStore);
    await expect(store.claim('claim:x', 60_000)).rejects.toBeInstanceOf(CaptchaStoreError);
    await expect(store.count('failed:x')).rejects.toBeInstanceOf(CaptchaStoreError);

    const expected = { increment: 1, claim: 1, count: 1 };
    expect(await failures()).toEqual(expected);
    // Refused claims are evictions, not failures: none here.
    expect(await registry.getSingleMetric('captcha_store_evictions_total')!.get()).toMatchObject({
      values: [],
    });

    await reader.forceFlush();
    const exported = exporter.getMetrics();
    const points = exported[exported.length - 1].scopeMetrics
      .filter((scope) => scope.scope.name === 'nestjs-captcha')
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === 'captcha_store_failures_total')!.dataPoints;
    expect(Object.fromEntries(points.map((p) => [p.attributes.operation, p.value]))).toEqual(
      expected,
    );
  });
});
