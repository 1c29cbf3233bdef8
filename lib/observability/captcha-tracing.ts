import type * as OpenTelemetry from '@opentelemetry/api';
import { optionalPeer } from './optional-peer';

/**
 * The name of the span each verification is recorded as, and of the tracer that starts it.
 * @internal Documented in the README's Observability section.
 */
export const CAPTCHA_VERIFY_SPAN = 'captcha.verify';
const TRACER_NAME = 'nestjs-captcha';

type Api = typeof OpenTelemetry;

/**
 * The verification spans and the trace id of decision logs, through `@opentelemetry/api` when it
 * is installed (an optional peer) and an app registered a tracer provider (an OpenTelemetry SDK).
 * Until then every method returns at once: one property read and a comparison, no span, no
 * context lookup, no allocation (the API's own no-op tracer would still allocate a span per call).
 *
 * A span carries `captcha.provider`, `captcha.action`, `captcha.outcome` (`success` or the
 * reason code), `captcha.latency_ms` and, for an outage, `captcha.failure_kind`: never the token,
 * the secret or anything the client sent.
 *
 * @internal
 */
export class CaptchaTracing {
  /** The API's no-op provider: what the global provider delegates to until an SDK registers. */
  private readonly noop: OpenTelemetry.TracerProvider | undefined;
  private delegate: OpenTelemetry.TracerProvider | undefined;
  private tracer: OpenTelemetry.Tracer | undefined;

  constructor(private readonly api: Api | undefined) {
    this.noop = api && new api.ProxyTracerProvider().getDelegate();
  }

  /** The registered tracer provider, or `undefined` (no API, or no SDK registered). */
  private registered(): OpenTelemetry.TracerProvider | undefined {
    if (!this.api) return undefined;
    // The global provider is always the API's proxy; its delegate is the SDK's, once registered.
    const proxy = this.api.trace.getTracerProvider() as Partial<OpenTelemetry.ProxyTracerProvider>;
    const delegate = proxy.getDelegate ? proxy.getDelegate() : proxy;
    return delegate === this.noop ? undefined : (delegate as OpenTelemetry.TracerProvider);
  }

  /**
   * Starts the span of one verification, a child of the active span (the request's, when the app
   * traces requests), or returns `undefined` when nothing would record it.
   */
  start(provider: string, action: string): OpenTelemetry.Span | undefined {
    const delegate = this.registered();
    if (!delegate) return undefined;
    if (delegate !== this.delegate) {
      this.tracer = delegate.getTracer(TRACER_NAME);
      this.delegate = delegate;
    }
    return this.tracer!.startSpan(CAPTCHA_VERIFY_SPAN, {
      kind: this.api!.SpanKind.INTERNAL,
      attributes: { 'captcha.provider': provider, 'captcha.action': action },
    });
  }

  /** Runs `work` with `span` active, so the provider call's own spans (HTTP client) nest under it. */
  within<T>(span: OpenTelemetry.Span, work: () => Promise<T>): Promise<T> {
    const { context, trace } = this.api!;
    return context.with(trace.setSpan(context.active(), span), work);
  }

  /**
   * Ends the span with the verification's outcome. An outage (`provider_unavailable`,
   * `misconfigured`) or a store failure is an error of the span; a refused token is not.
   */
  end(
    span: OpenTelemetry.Span,
    outcome: string,
    latencyMs: number | undefined,
    failure?: { kind?: string; error?: string },
  ): void {
    span.setAttribute('captcha.outcome', outcome);
    if (latencyMs !== undefined) span.setAttribute('captcha.latency_ms', latencyMs);
    if (failure) {
      if (failure.kind) span.setAttribute('captcha.failure_kind', failure.kind);
      if (failure.error) span.setAttribute('error.type', failure.error);
      span.setStatus({ code: this.api!.SpanStatusCode.ERROR, message: outcome });
    }
    span.end();
  }

  /** The trace id of the active span, for the decision log; `undefined` when none is active. */
  activeTraceId(): string | undefined {
    if (!this.registered()) return undefined;
    const { context, trace, isSpanContextValid } = this.api!;
    const active = trace.getSpanContext(context.active());
    return active && isSpanContextValid(active) ? active.traceId : undefined;
  }
}

/**
 * The process's tracing: one `@opentelemetry/api` (the global registry is process-wide anyway).
 * @internal
 */
export const CAPTCHA_TRACING = new CaptchaTracing(optionalPeer<Api>('@opentelemetry/api'));
