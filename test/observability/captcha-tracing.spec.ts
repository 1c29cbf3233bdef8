import * as api from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { CaptchaTracing } from '../../lib/observability/captcha-tracing';

describe('CaptchaTracing', () => {
  afterEach(() => api.trace.disable());

  it('does nothing without @opentelemetry/api (an optional peer)', () => {
    const tracing = new CaptchaTracing(undefined);
    expect(tracing.start('turnstile', 'login')).toBeUndefined();
    expect(tracing.activeTraceId()).toBeUndefined();
  });

  it('starts no span until an SDK registers, then spans until it is gone', () => {
    const tracing = new CaptchaTracing(api);
    const getTracer = jest.spyOn(api.trace, 'getTracer');
    expect(tracing.start('turnstile', 'login')).toBeUndefined();
    expect(getTracer).not.toHaveBeenCalled();
    getTracer.mockRestore();

    const exporter = new InMemorySpanExporter();
    api.trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const span = tracing.start('turnstile', 'login')!;
    tracing.end(span, 'duplicate', 1.5);
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.attributes])).toEqual([
      [
        'captcha.verify',
        {
          'captcha.provider': 'turnstile',
          'captcha.action': 'login',
          'captcha.outcome': 'duplicate',
          'captcha.latency_ms': 1.5,
        },
      ],
    ]);

    api.trace.disable();
    expect(tracing.start('turnstile', 'login')).toBeUndefined();
  });
});
