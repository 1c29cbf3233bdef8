import { Controller, HttpCode, INestApplication, Post, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import request from 'supertest';
import { CaptchaModule, RequireCaptcha, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp } from '../support/create-app';

@Controller()
class MeteredController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  login() {
    return { ok: true };
  }
}

class CapturingLogger implements LoggerService {
  readonly lines: { level: string; message: unknown }[] = [];
  log = (message: unknown) => this.lines.push({ level: 'log', message });
  warn = (message: unknown) => this.lines.push({ level: 'warn', message });
  error = (message: unknown) => this.lines.push({ level: 'error', message });
  debug = (message: unknown) => this.lines.push({ level: 'debug', message });
  verbose = (message: unknown) => this.lines.push({ level: 'verbose', message });
}

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('metrics, decision logs and the leak detector', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;
    let registry: Registry;
    let exporter: InMemoryMetricExporter;
    let reader: PeriodicExportingMetricReader;
    const logger = new CapturingLogger();
    const bodies: string[] = [];
    const tokens: string[] = [];

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      registry = new Registry();
      exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
      reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

      const options: CaptchaModuleOptions = {
        provider: 'turnstile',
        siteKey: FakeCaptchaServer.siteKeys.turnstile,
        secretKey: FakeCaptchaServer.secrets.turnstile,
        verifyUrl: fake.verifyUrl('turnstile'),
        expectedHostnames: ['localhost'],
        timeoutMs: 300,
        circuitBreaker: false,
        metrics: 'both',
        metricsRegistry: registry,
        environment: 'staging',
      };
      const moduleRef = await Test.createTestingModule({
        imports: [CaptchaModule.forRoot(options)],
        controllers: [MeteredController],
      }).compile();
      app = await startApp(moduleRef, adapter, { logger, listen: false });

      // The scripted sequence: a success, each rejection reason, an outage, a misconfiguration.
      const send = async (body: object, headers: Record<string, string> = {}) => {
        const res = await request(app.getHttpServer()).post('/login').set(headers).send(body);
        bodies.push(res.text);
        return res.status;
      };
      const issue = (opts: object = {}) => {
        const token = fake.issueToken({
          provider: 'turnstile',
          action: 'login',
          hostname: 'localhost',
          ...opts,
        });
        tokens.push(token);
        return token;
      };
      expect(await send({ captchaToken: issue() }, { 'x-request-id': 'req-42' })).toBe(200);
      expect(await send({})).toBe(403); // missing
      expect(await send({ captchaToken: 'bad token with spaces' })).toBe(403); // malformed
      expect(await send({ captchaToken: 'forged.token' })).toBe(403); // invalid
      const used = issue();
      expect(await send({ captchaToken: used })).toBe(200);
      expect(await send({ captchaToken: used })).toBe(403); // duplicate
      expect(await send({ captchaToken: issue({ action: 'signup' }) })).toBe(403); // action_mismatch
      expect(await send({ captchaToken: issue({ hostname: 'evil.example' }) })).toBe(403); // hostname_mismatch
      const old = issue();
      fake.advanceClock(301_000);
      expect(await send({ captchaToken: old })).toBe(403); // provider: timeout-or-duplicate
      fake.fault('turnstile', { status: 503 });
      expect(await send({ captchaToken: issue() })).toBe(503); // outage (tried twice)
      fake.clearFaults();
      fake.fault('turnstile', {
        status: 200,
        body: '{"success":false,"error-codes":["invalid-input-secret"]}',
        times: 1,
      });
      expect(await send({ captchaToken: issue() })).toBe(503); // misconfigured
    });

    afterAll(async () => {
      await app.close();
      await fake.close();
      metrics.disable();
    });

    const counter = async (name: string) => {
      const metric = registry.getSingleMetric(name);
      return (await metric!.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
    };

    it('counts every verification by provider, action and outcome', async () => {
      const values = await counter('captcha_verifications_total');
      const byOutcome = Object.fromEntries(values.map((v) => [v.labels.outcome, v.value]));
      expect(byOutcome).toEqual({
        success: 2,
        missing: 1,
        malformed: 1,
        invalid: 1,
        duplicate: 2,
        action_mismatch: 1,
        hostname_mismatch: 1,
        provider_unavailable: 1,
        misconfigured: 1,
      });
      expect(new Set(values.map((v) => `${v.labels.provider}/${v.labels.action}`))).toEqual(
        new Set(['turnstile/login']),
      );
    });

    it('records durations, challenges, provider failures and serves the Prometheus text', async () => {
      const histogram = (await counter('captcha_verification_duration_seconds')).filter(
        (v) => (v.labels as Record<string, string>).le === '+Inf',
      );
      const observations = histogram.reduce((sum, v) => sum + v.value, 0);
      expect(observations).toBe(10); // every verification but the missing token
      expect(await counter('captcha_challenges_total')).toEqual([
        { labels: { action: 'login', condition: 'always' }, value: 11 },
      ]);
      const failures = await counter('captcha_provider_failures_total');
      expect(failures).toEqual(
        expect.arrayContaining([
          { labels: { provider: 'turnstile', kind: 'http_5xx' }, value: 1 },
          { labels: { provider: 'turnstile', kind: 'misconfigured' }, value: 1 },
        ]),
      );
      const text = await registry.metrics();
      expect(text).toContain(
        'captcha_verifications_total{provider="turnstile",action="login",outcome="success"} 2',
      );
    });

    it('reports the same counts through OpenTelemetry', async () => {
      await reader.forceFlush();
      const exported: ResourceMetrics[] = exporter.getMetrics();
      const latest = exported[exported.length - 1];
      const points = latest.scopeMetrics
        .filter((scope) => scope.scope.name === 'nestjs-captcha')
        .flatMap((scope) => scope.metrics)
        .find((m) => m.descriptor.name === 'captcha_verifications_total')!.dataPoints;
      const byOutcome = Object.fromEntries(points.map((p) => [p.attributes.outcome, p.value]));
      expect(byOutcome).toMatchObject({
        success: 2,
        missing: 1,
        duplicate: 2,
        provider_unavailable: 1,
        misconfigured: 1,
      });
    });

    it('writes one structured decision line per request, at the level its outcome deserves', () => {
      const decisions = logger.lines.filter(
        (l) =>
          typeof l.message === 'object' &&
          (l.message as { event?: string }).event === 'captcha.decision',
      );
      expect(decisions).toHaveLength(11);
      for (const d of decisions)
        expect(Object.values(d.message as object)).not.toContain(undefined);
      const first = decisions[0];
      expect(first.level).toBe('debug');
      expect(first.message).toMatchObject({
        requestId: 'req-42',
        provider: 'turnstile',
        action: 'login',
        outcome: 'success',
        condition: 'always',
        tokenPresent: true,
        tokenLength: expect.any(Number),
        tokenAgeMs: expect.any(Number),
        providerStatus: 200,
        latencyMs: expect.any(Number),
        clientIp: '127.0.0.1',
        clientIpSource: 'socket',
        environment: 'staging',
      });
      const levelOf = (outcome: string) =>
        decisions.find((d) => (d.message as { outcome: string }).outcome === outcome)?.level;
      expect(levelOf('missing')).toBe('warn');
      expect(levelOf('duplicate')).toBe('warn');
      // An outage's decisions at debug: the outage log says once that the provider is down.
      expect(levelOf('provider_unavailable')).toBe('debug');
      expect(levelOf('misconfigured')).toBe('error');
      expect((decisions[1].message as { requestId: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('never leaks a token or the secret into logs, metrics or error bodies', async () => {
      const everything = [
        JSON.stringify(logger.lines),
        await registry.metrics(),
        JSON.stringify(exporter.getMetrics()),
        ...bodies,
      ].join('\n');
      for (const token of tokens) expect(everything).not.toContain(token);
      expect(everything).not.toContain(FakeCaptchaServer.secrets.turnstile);
      expect(tokens.length).toBeGreaterThan(5);
    });
  });
});
