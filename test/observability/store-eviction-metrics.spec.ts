import { Test, type TestingModule } from '@nestjs/testing';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { CaptchaClaimRefusedError, CaptchaModule, CaptchaStore } from 'nestjs-captcha';

describe('captcha_store_evictions_total', () => {
  let moduleRef: TestingModule;
  let registry: Registry;
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;

  beforeAll(async () => {
    registry = new Registry();
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    moduleRef = await Test.createTestingModule({
      imports: [
        CaptchaModule.forRoot({
          provider: 'altcha',
          altcha: { hmacKey: 'eviction-metrics-hmac-key-0123456789' },
          metrics: 'both',
          metricsRegistry: registry,
          memory: { maxEntries: 100, maxClaims: 2 },
        }),
      ],
    }).compile();
    await moduleRef.init();
  });
  afterAll(async () => {
    await moduleRef.close();
    await reader.shutdown();
  });

  it('counts live counters evicted and claims refused, in Prometheus and OpenTelemetry', async () => {
    const store = moduleRef.get<CaptchaStore>(CaptchaStore);
    for (let i = 0; i < 150; i++) await store.increment(`failed:${i}`, 60_000);
    expect(await store.claim('claim:a', 60_000)).toBe(true);
    expect(await store.claim('claim:b', 60_000)).toBe(true);
    await expect(store.claim('claim:c', 60_000)).rejects.toBeInstanceOf(CaptchaClaimRefusedError);
    expect(await store.claim('claim:a', 60_000)).toBe(false); // a replay is no refusal

    const expected = { counter: 50, claim_refused: 1 };
    const prom = (await registry.getSingleMetric('captcha_store_evictions_total')!.get()).values;
    expect(Object.fromEntries(prom.map((v) => [v.labels.kind, v.value]))).toEqual(expected);

    await reader.forceFlush();
    const exported = exporter.getMetrics();
    const points = exported[exported.length - 1].scopeMetrics
      .filter((scope) => scope.scope.name === 'nestjs-captcha')
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === 'captcha_store_evictions_total')!.dataPoints;
    expect(Object.fromEntries(points.map((p) => [p.attributes.kind, p.value]))).toEqual(expected);
  });
});
