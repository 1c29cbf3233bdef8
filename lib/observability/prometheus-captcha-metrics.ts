import type * as PromClient from 'prom-client';
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
 * The instruments on a prom-client registry. Re-uses metrics already registered under the same
 * name, so two modules (or a hot reload) in one process share them instead of failing.
 * @internal
 */
export class PrometheusCaptchaMetrics implements CaptchaMetricsRecorder {
  private readonly verifications: PromClient.Counter<'provider' | 'action' | 'outcome'>;
  private readonly duration: PromClient.Histogram<'provider' | 'outcome'>;
  private readonly challenges: PromClient.Counter<'action' | 'condition'>;
  private readonly failures: PromClient.Counter<'provider' | 'kind'>;
  private readonly circuit: PromClient.Gauge<'provider'>;
  private readonly evictions: PromClient.Counter<'kind'>;
  private readonly storeFailures: PromClient.Counter<'operation'>;
  private readonly powCosts: PromClient.Histogram<'action'>;
  private readonly clearances: PromClient.Counter<'action' | 'outcome'>;

  constructor(client: typeof PromClient, registry: PromClient.Registry = client.register) {
    const existing = <M>(name: string) => registry.getSingleMetric(name) as M | undefined;
    const registers = [registry];
    this.verifications =
      existing(NAMES.verifications) ??
      new client.Counter({
        name: NAMES.verifications,
        help: 'CAPTCHA verifications by provider, action and outcome (success or a reason code).',
        labelNames: ['provider', 'action', 'outcome'],
        registers,
      });
    this.duration =
      existing(NAMES.verificationDuration) ??
      new client.Histogram({
        name: NAMES.verificationDuration,
        help: 'Time to verify a CAPTCHA token, provider call included.',
        labelNames: ['provider', 'outcome'],
        buckets: VERIFICATION_DURATION_BUCKETS,
        registers,
      });
    this.challenges =
      existing(NAMES.challenges) ??
      new client.Counter({
        name: NAMES.challenges,
        help: 'Requests a risk condition put a CAPTCHA challenge in front of.',
        labelNames: ['action', 'condition'],
        registers,
      });
    this.failures =
      existing(NAMES.providerFailures) ??
      new client.Counter({
        name: NAMES.providerFailures,
        help: 'Provider calls that got no usable answer, by kind.',
        labelNames: ['provider', 'kind'],
        registers,
      });
    this.circuit =
      existing(NAMES.circuitOpen) ??
      new client.Gauge({
        name: NAMES.circuitOpen,
        help: '1 while the provider circuit is open (calls are skipped).',
        labelNames: ['provider'],
        registers,
      });
    this.evictions =
      existing(NAMES.storeEvictions) ??
      new client.Counter({
        name: NAMES.storeEvictions,
        help: 'Store entries lost for lack of room (counter: a live counter evicted) or refused (claim_refused: the claim budget was full, answered 503).',
        labelNames: ['kind'],
        registers,
      });
    this.storeFailures =
      existing(NAMES.storeFailures) ??
      new client.Counter({
        name: NAMES.storeFailures,
        help: 'Store calls that failed (store unreachable or erroring), by operation.',
        labelNames: ['operation'],
        registers,
      });
    this.powCosts =
      existing(NAMES.powCost) ??
      new client.Histogram({
        name: NAMES.powCost,
        help: 'Proof-of-work cost of issued ALTCHA challenges (the counter a client must reach).',
        labelNames: ['action'],
        buckets: POW_COST_BUCKETS,
        registers,
      });
    this.clearances =
      existing(NAMES.clearances) ??
      new client.Counter({
        name: NAMES.clearances,
        help: 'CAPTCHA clearances by action and outcome: issued, used, or why one was refused.',
        labelNames: ['action', 'outcome'],
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

  storeFailure(operation: CaptchaStoreOperation): void {
    this.storeFailures.inc({ operation });
  }

  powCost(action: string, counter: number): void {
    this.powCosts.observe({ action }, counter);
  }

  clearance(action: string, outcome: string): void {
    this.clearances.inc({ action, outcome });
  }
}
