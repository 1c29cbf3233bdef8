import type * as OpenTelemetry from '@opentelemetry/api';
import type { CaptchaMetricsRecorder, CaptchaStoreEvictionKind } from './captcha-metrics';
import { VERIFICATION_DURATION_BUCKETS } from './prometheus-captcha-metrics';

/**
 * The same instruments on an OpenTelemetry meter named `nestjs-captcha`. Without a registered
 * SDK the global meter is a no-op, so this costs nothing until an app wires OpenTelemetry up.
 */
export class OpenTelemetryCaptchaMetrics implements CaptchaMetricsRecorder {
  private readonly verifications: OpenTelemetry.Counter;
  private readonly duration: OpenTelemetry.Histogram;
  private readonly challenges: OpenTelemetry.Counter;
  private readonly failures: OpenTelemetry.Counter;
  private readonly evictions: OpenTelemetry.Counter;
  private readonly circuits = new Map<string, number>();

  constructor(api: typeof OpenTelemetry) {
    const meter = api.metrics.getMeter('nestjs-captcha');
    this.verifications = meter.createCounter('captcha_verifications_total', {
      description: 'CAPTCHA verifications by provider, action and outcome.',
    });
    this.duration = meter.createHistogram('captcha_verification_duration_seconds', {
      description: 'Time to verify a CAPTCHA token, provider call included.',
      unit: 's',
      advice: { explicitBucketBoundaries: VERIFICATION_DURATION_BUCKETS },
    });
    this.challenges = meter.createCounter('captcha_challenges_total', {
      description: 'Requests a risk condition put a CAPTCHA challenge in front of.',
    });
    this.failures = meter.createCounter('captcha_provider_failures_total', {
      description: 'Provider calls that got no usable answer, by kind.',
    });
    this.evictions = meter.createCounter('captcha_store_evictions_total', {
      description: 'Store entries lost for lack of room (counter) or refused (claim_refused).',
    });
    meter
      .createObservableGauge('captcha_circuit_open', {
        description: '1 while the provider circuit is open.',
      })
      .addCallback((result) => {
        for (const [provider, value] of this.circuits) result.observe(value, { provider });
      });
  }

  verification(provider: string, action: string, outcome: string, seconds?: number): void {
    this.verifications.add(1, { provider, action, outcome });
    if (seconds !== undefined) this.duration.record(seconds, { provider, outcome });
  }

  challenge(action: string, condition: string): void {
    this.challenges.add(1, { action, condition });
  }

  providerFailure(provider: string, kind: string): void {
    this.failures.add(1, { provider, kind });
  }

  circuitOpen(provider: string, open: boolean): void {
    this.circuits.set(provider, open ? 1 : 0);
  }

  storeEviction(kind: CaptchaStoreEvictionKind): void {
    this.evictions.add(1, { kind });
  }
}
