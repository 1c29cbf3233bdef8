import type * as PromClient from 'prom-client';
import type { CaptchaMetricsRecorder, CaptchaStoreEvictionKind } from './captcha-metrics';

/** Seconds: a local ALTCHA check (~5 ms) up to a provider at the 3 s timeout and beyond. */
export const VERIFICATION_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The instruments on a prom-client registry. Re-uses metrics already registered under the same
 * name, so two modules (or a hot reload) in one process share them instead of failing.
 */
export class PrometheusCaptchaMetrics implements CaptchaMetricsRecorder {
  private readonly verifications: PromClient.Counter<'provider' | 'action' | 'outcome'>;
  private readonly duration: PromClient.Histogram<'provider' | 'outcome'>;
  private readonly challenges: PromClient.Counter<'action' | 'condition'>;
  private readonly failures: PromClient.Counter<'provider' | 'kind'>;
  private readonly circuit: PromClient.Gauge<'provider'>;
  private readonly evictions: PromClient.Counter<'kind'>;

  constructor(client: typeof PromClient, registry: PromClient.Registry = client.register) {
    const existing = <M>(name: string) => registry.getSingleMetric(name) as M | undefined;
    const registers = [registry];
    this.verifications =
      existing('captcha_verifications_total') ??
      new client.Counter({
        name: 'captcha_verifications_total',
        help: 'CAPTCHA verifications by provider, action and outcome (success or a reason code).',
        labelNames: ['provider', 'action', 'outcome'],
        registers,
      });
    this.duration =
      existing('captcha_verification_duration_seconds') ??
      new client.Histogram({
        name: 'captcha_verification_duration_seconds',
        help: 'Time to verify a CAPTCHA token, provider call included.',
        labelNames: ['provider', 'outcome'],
        buckets: VERIFICATION_DURATION_BUCKETS,
        registers,
      });
    this.challenges =
      existing('captcha_challenges_total') ??
      new client.Counter({
        name: 'captcha_challenges_total',
        help: 'Requests a risk condition put a CAPTCHA challenge in front of.',
        labelNames: ['action', 'condition'],
        registers,
      });
    this.failures =
      existing('captcha_provider_failures_total') ??
      new client.Counter({
        name: 'captcha_provider_failures_total',
        help: 'Provider calls that got no usable answer, by kind.',
        labelNames: ['provider', 'kind'],
        registers,
      });
    this.circuit =
      existing('captcha_circuit_open') ??
      new client.Gauge({
        name: 'captcha_circuit_open',
        help: '1 while the provider circuit is open (calls are skipped).',
        labelNames: ['provider'],
        registers,
      });
    this.evictions =
      existing('captcha_store_evictions_total') ??
      new client.Counter({
        name: 'captcha_store_evictions_total',
        help: 'Store entries lost for lack of room (counter: a live counter evicted) or refused (claim_refused: the claim budget was full, answered 503).',
        labelNames: ['kind'],
        registers,
      });
  }

  verification(provider: string, action: string, outcome: string, seconds?: number): void {
    this.verifications.inc({ provider, action, outcome });
    if (seconds !== undefined) this.duration.observe({ provider, outcome }, seconds);
  }

  challenge(action: string, condition: string): void {
    this.challenges.inc({ action, condition });
  }

  providerFailure(provider: string, kind: string): void {
    this.failures.inc({ provider, kind });
  }

  circuitOpen(provider: string, open: boolean): void {
    this.circuit.set({ provider }, open ? 1 : 0);
  }

  storeEviction(kind: CaptchaStoreEvictionKind): void {
    this.evictions.inc({ kind });
  }
}
