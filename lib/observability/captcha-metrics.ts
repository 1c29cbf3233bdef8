import { Inject, Injectable, Logger } from '@nestjs/common';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type {
  CaptchaMetricsRecorder,
  CaptchaStoreEvictionKind,
  CaptchaStoreOperation,
} from './captcha-metrics-recorder';
import { OpenTelemetryCaptchaMetrics } from './opentelemetry-captcha-metrics';
import { optionalPeer as optional } from './optional-peer';
import { PrometheusCaptchaMetrics } from './prometheus-captcha-metrics';

/**
 * Which backends record metrics: `auto` uses whichever of prom-client / @opentelemetry/api is installed.
 * @internal Mirrors the module's `metrics` option.
 */
export type CaptchaMetricsBackend = 'auto' | 'prometheus' | 'opentelemetry' | 'both' | false;

/**
 * Records the checkpoint's metrics in Prometheus (prom-client, on `metricsRegistry` or the
 * default registry) and/or OpenTelemetry (a meter named `nestjs-captcha`; a no-op until an SDK is
 * registered). The names are a contract, spelled once in `CAPTCHA_METRIC_NAMES`.
 * @internal Provided by `CaptchaModule`; apps read the metrics, not this class.
 */
@Injectable()
export class CaptchaMetrics implements CaptchaMetricsRecorder {
  private readonly recorders: CaptchaMetricsRecorder[] = [];

  constructor(@Inject(CAPTCHA_OPTIONS) options: ResolvedCaptchaOptions) {
    const backend = options.metrics ?? 'auto';
    if (backend === false) return;
    const wantsProm = backend === 'prometheus' || backend === 'both' || backend === 'auto';
    const wantsOtel = backend === 'opentelemetry' || backend === 'both' || backend === 'auto';
    const promClient = wantsProm
      ? optional<typeof import('prom-client')>('prom-client')
      : undefined;
    const otel = wantsOtel
      ? optional<typeof import('@opentelemetry/api')>('@opentelemetry/api')
      : undefined;
    const logger = new Logger('CaptchaModule');
    if (backend !== 'auto' && wantsProm && !promClient)
      logger.warn(
        'metrics: prom-client is not installed (npm i prom-client); Prometheus metrics are off',
      );
    if (backend !== 'auto' && wantsOtel && !otel)
      logger.warn('metrics: @opentelemetry/api is not installed; OpenTelemetry metrics are off');
    if (promClient) {
      const registry = options.metricsRegistry as import('prom-client').Registry | undefined;
      this.recorders.push(new PrometheusCaptchaMetrics(promClient, registry));
    }
    if (otel) this.recorders.push(new OpenTelemetryCaptchaMetrics(otel));
  }

  verification(provider: string, action: string, outcome: string, seconds?: number): void {
    for (const recorder of this.recorders)
      recorder.verification(provider, action, outcome, seconds);
  }

  challenge(action: string, condition: string): void {
    for (const recorder of this.recorders) recorder.challenge(action, condition);
  }

  providerFailure(provider: string, kind: string): void {
    for (const recorder of this.recorders) recorder.providerFailure(provider, kind);
  }

  circuitOpen(provider: string, open: boolean): void {
    for (const recorder of this.recorders) recorder.circuitOpen(provider, open);
  }

  storeEviction(kind: CaptchaStoreEvictionKind): void {
    for (const recorder of this.recorders) recorder.storeEviction(kind);
  }

  storeFailure(operation: CaptchaStoreOperation): void {
    for (const recorder of this.recorders) recorder.storeFailure(operation);
  }

  powCost(action: string, counter: number): void {
    for (const recorder of this.recorders) recorder.powCost(action, counter);
  }

  clearance(action: string, outcome: string): void {
    for (const recorder of this.recorders) recorder.clearance(action, outcome);
  }
}
