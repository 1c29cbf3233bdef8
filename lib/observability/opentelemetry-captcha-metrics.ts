import type * as OpenTelemetry from '@opentelemetry/api';
import {
  CAPTCHA_METRIC_NAMES as NAMES,
  POW_COST_BUCKETS,
  VERIFICATION_DURATION_BUCKETS,
} from '../contracts/captcha-metric-names';
import type {
  CaptchaMetricsRecorder,
  CaptchaStoreEvictionKind,
  CaptchaStoreOperation,
} from './captcha-metrics-recorder';

/**
 * The same instruments on an OpenTelemetry meter named `nestjs-captcha`. Without a registered
 * SDK the global meter is a no-op, so this costs nothing until an app wires OpenTelemetry up.
 * @internal
 */
export class OpenTelemetryCaptchaMetrics implements CaptchaMetricsRecorder {
  private readonly verifications: OpenTelemetry.Counter;
  private readonly duration: OpenTelemetry.Histogram;
  private readonly challenges: OpenTelemetry.Counter;
  private readonly failures: OpenTelemetry.Counter;
  private readonly evictions: OpenTelemetry.Counter;
  private readonly storeFailures: OpenTelemetry.Counter;
  private readonly powCosts: OpenTelemetry.Histogram;
  private readonly clearances: OpenTelemetry.Counter;
  private readonly circuits = new Map<string, number>();

  constructor(api: typeof OpenTelemetry) {
    const meter = api.metrics.getMeter('nestjs-captcha');
    this.verifications = meter.createCounter(NAMES.verifications, {
      description: 'CAPTCHA verifications by provider, action and outcome.',
    });
    this.duration = meter.createHistogram(NAMES.verificationDuration, {
      description: 'Time to verify a CAPTCHA token, provider call included.',
      unit: 's',
      advice: { explicitBucketBoundaries: VERIFICATION_DURATION_BUCKETS },
    });
    this.challenges = meter.createCounter(NAMES.challenges, {
      description: 'Requests a risk condition put a CAPTCHA challenge in front of.',
    });
    this.failures = meter.createCounter(NAMES.providerFailures, {
      description: 'Provider calls that got no usable answer, by kind.',
    });
    this.evictions = meter.createCounter(NAMES.storeEvictions, {
      description: 'Store entries lost for lack of room (counter) or refused (claim_refused).',
    });
    this.storeFailures = meter.createCounter(NAMES.storeFailures, {
      description: 'Store calls that failed (store unreachable or erroring), by operation.',
    });
    this.powCosts = meter.createHistogram(NAMES.powCost, {
      description: 'Proof-of-work cost of issued ALTCHA challenges (the counter to reach).',
      advice: { explicitBucketBoundaries: POW_COST_BUCKETS },
    });
    this.clearances = meter.createCounter(NAMES.clearances, {
      description: 'CAPTCHA clearances by action and outcome (issued, used, or the refusal).',
    });
    meter
      .createObservableGauge(NAMES.circuitOpen, {
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

  storeFailure(operation: CaptchaStoreOperation): void {
    this.storeFailures.add(1, { operation });
  }

  powCost(action: string, counter: number): void {
    this.powCosts.record(counter, { action });
  }

  clearance(action: string, outcome: string): void {
    this.clearances.add(1, { action, outcome });
  }
}
