import {
  Controller,
  HttpCode,
  Injectable,
  Module,
  Post,
  type LoggerService,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
} from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import * as api from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import type { ServerResponse } from 'node:http';
import request from 'supertest';
import { CaptchaModule, CaptchaVerifier, RequireCaptcha } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { AsyncLocalStorageContextManager } from '../support/async-context-manager';
import { ADAPTERS, startApp } from '../support/create-app';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();
/** Whether the test app traces its requests (as an app with HTTP instrumentation would). */
let tracingRequests = true;

/** The app's request span, made active for the rest of the request. */
@Injectable()
class RequestSpanMiddleware implements NestMiddleware {
  use(_req: unknown, res: ServerResponse, next: () => void): void {
    if (!tracingRequests) return next();
    const span = api.trace.getTracer('test-http').startSpan('http.request');
    res.on('finish', () => span.end());
    api.context.with(api.trace.setSpan(api.context.active(), span), next);
  }
}

@Controller()
class SpanController {
  constructor(private readonly verifier: CaptchaVerifier) {}

  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  login() {
    return { ok: true };
  }

  @Post('calm')
  @HttpCode(200)
  @RequireCaptcha({ action: 'calm', when: () => false })
  calm() {
    return { ok: true };
  }
}

class RecordingLogger implements LoggerService {
  readonly decisions: Record<string, unknown>[] = [];
  private keep = (message: unknown) => {
    if (typeof message === 'object' && (message as { event?: string }).event === 'captcha.decision')
      this.decisions.push(message as Record<string, unknown>);
  };
  log = this.keep;
  warn = this.keep;
  error = this.keep;
  debug = this.keep;
  verbose = this.keep;
}

const verifySpans = () => exporter.getFinishedSpans().filter((s) => s.name === 'captcha.verify');
const requestSpans = () => exporter.getFinishedSpans().filter((s) => s.name === 'http.request');
/** What a span shows an exporter: name, attributes, events, status. */
const exported = (span: ReadableSpan) =>
  JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    status: span.status,
  });

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('OpenTelemetry: a span per verification', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;
    const logger = new RecordingLogger();
    let tracerProvider: BasicTracerProvider;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      api.context.setGlobalContextManager(contextManager);
      tracerProvider = new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      });
      api.trace.setGlobalTracerProvider(tracerProvider);

      @Module({
        imports: [
          CaptchaModule.forRoot({
            provider: 'turnstile',
            siteKey: FakeCaptchaServer.siteKeys.turnstile,
            secretKey: FakeCaptchaServer.secrets.turnstile,
            verifyUrl: fake.verifyUrl('turnstile'),
            timeoutMs: 1_000,
            circuitBreaker: false,
          }),
        ],
        controllers: [SpanController],
      })
      class SpanAppModule implements NestModule {
        configure(consumer: MiddlewareConsumer): void {
          consumer.apply(RequestSpanMiddleware).forRoutes(SpanController);
        }
      }
      const moduleRef = await Test.createTestingModule({ imports: [SpanAppModule] }).compile();
      app = await startApp(moduleRef, adapter, { logger });
    });

    afterAll(async () => {
      await app.close();
      await fake.close();
      api.trace.disable();
      api.context.disable();
    });

    afterEach(() => {
      exporter.reset();
      logger.decisions.length = 0;
      fake.clearFaults();
      tracingRequests = true;
    });

    const login = (captchaToken?: string) =>
      request(app.getHttpServer()).post('/login').send({ captchaToken });

    it('records a verified token as captcha.verify under the request span, never the token', async () => {
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      await login(token).expect(200);

      const [span] = verifySpans();
      const [parent] = requestSpans();
      expect(verifySpans()).toHaveLength(1);
      expect(span.attributes).toEqual({
        'captcha.provider': 'turnstile',
        'captcha.action': 'login',
        'captcha.outcome': 'success',
        'captcha.latency_ms': expect.any(Number),
      });
      expect(span.attributes['captcha.latency_ms']).toBeGreaterThan(0);
      expect(span.status.code).toBe(api.SpanStatusCode.UNSET);
      expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(exported(span)).not.toContain(token);
      expect(exported(span)).not.toContain(FakeCaptchaServer.secrets.turnstile);
    });

    it('records a refused token with its reason; the decision log carries the trace id', async () => {
      const token = fake.issueToken({ provider: 'turnstile', action: 'signup' });
      await login(token).expect(403);
      await login('forged-token').expect(403);
      await login().expect(403);

      const outcomes = verifySpans().map((s) => s.attributes['captcha.outcome']);
      // A request without a token is refused before any verification: no span for it.
      expect(outcomes).toEqual(['action_mismatch', 'invalid']);
      for (const span of verifySpans()) {
        expect(span.status.code).toBe(api.SpanStatusCode.UNSET);
        expect(exported(span)).not.toContain(token);
        expect(exported(span)).not.toContain('forged-token');
      }
      const traces = requestSpans().map((s) => s.spanContext().traceId);
      expect(logger.decisions.map((d) => [d.outcome, d.traceId])).toEqual([
        ['action_mismatch', traces[0]],
        ['invalid', traces[1]],
        ['missing', traces[2]],
      ]);
      expect(verifySpans().map((s) => s.spanContext().traceId)).toEqual(traces.slice(0, 2));
    });

    it('records an outage as an error with its kind', async () => {
      fake.fault('turnstile', { status: 503 });
      await login(fake.issueToken({ provider: 'turnstile', action: 'login' })).expect(503);

      const [span] = verifySpans();
      expect(verifySpans()).toHaveLength(1);
      expect(span.attributes).toMatchObject({
        'captcha.outcome': 'provider_unavailable',
        'captcha.failure_kind': 'http_5xx',
      });
      expect(span.status).toEqual({
        code: api.SpanStatusCode.ERROR,
        message: 'provider_unavailable',
      });
      expect(logger.decisions.map((d) => d.traceId)).toEqual([span.spanContext().traceId]);
    });

    it('starts no span for a calm request', async () => {
      await request(app.getHttpServer()).post('/calm').send({}).expect(200);
      expect(requestSpans()).toHaveLength(1);
      expect(verifySpans()).toEqual([]);
      expect(logger.decisions).toEqual([]);
    });

    it('a verification outside any request span is a root span of its own', async () => {
      tracingRequests = false;
      await login('forged-token').expect(403);
      const [span] = verifySpans();
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.attributes['captcha.outcome']).toBe('invalid');
      // No active span when the decision is written: no trace id to tie it to.
      expect(logger.decisions.map((d) => 'traceId' in d)).toEqual([false]);
    });

    it('without a registered SDK: no span, no trace id, not even a context lookup', async () => {
      api.trace.disable();
      tracingRequests = false;
      const active = jest.spyOn(api.context, 'active');
      const spanContext = jest.spyOn(api.trace, 'getSpanContext');
      try {
        await login('forged-token').expect(403);
        await login(fake.issueToken({ provider: 'turnstile', action: 'login' })).expect(200);
        expect(active).not.toHaveBeenCalled();
        expect(spanContext).not.toHaveBeenCalled();
      } finally {
        active.mockRestore();
        spanContext.mockRestore();
        api.trace.setGlobalTracerProvider(tracerProvider);
      }
      expect(exporter.getFinishedSpans()).toEqual([]);
      expect(logger.decisions.map((d) => [d.outcome, 'traceId' in d])).toEqual([
        ['invalid', false],
        ['success', false],
      ]);
    });
  });
});
