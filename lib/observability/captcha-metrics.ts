import { Inject, Injectable, Logger } from '@nestjs/common';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { OpenTelemetryCaptchaMetrics } from './opentelemetry-captcha-metrics';
import { PrometheusCaptchaMetrics } from './prometheus-captcha-metrics';

/**
 * The instruments, whatever backs them. Every label value comes from code (provider names, reason
 * codes, action and condition names), never from request data, so cardinality stays bounded.
 */
export interface CaptchaMetricsRecorder {
  /**
   * One verification: `outcome` is `success` or a reason code. `seconds` is left out for a
   * request that carried no token (counted, but no duration).
   */
  verification(provider: string, action: string, outcome: string, seconds?: number): void;
  /** A condition demanded a challenge. */
  challenge(action: string, condition: string): void;
  /** A provider could not answer (`kind`: timeout, network, http_5xx, …). */
  providerFailure(provider: string, kind: string): void;
  /** A provider's circuit opened (`true`) or closed (`false`). */
  circuitOpen(provider: string, open: boolean): void;
  /**
   * The store lost or refused an entry for lack of room: `counter` (a live counter evicted by
   * the memory store's size bound) or `claim_refused` (a single-use claim refused because the
   * claim budget is full; the request was answered 503).
   */
  storeEviction(kind: CaptchaStoreEvictionKind): void;
}

/** The `kind` label of `captcha_store_evictions_total`. */
export type CaptchaStoreEvictionKind = 'counter' | 'claim_refused';

/** Which backends record metrics: `auto` uses whichever of prom-client / @opentelemetry/api is installed. */
export type CaptchaMetricsBackend = 'auto' | 'prometheus' | 'opentelemetry' | 'both' | false;

/** Loads an optional peer dependency, or `undefined` when it is not installed. */
function optional<T>(name: string): T | undefined {
  try {
    // A synchronous optional load: the packages are peers a user may not have installed.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch {
    return undefined;
  }
}

/**
 * Records the checkpoint's metrics in Prometheus (prom-client, on `metricsRegistry` or the
 * default registry) and/or OpenTelemetry (a meter named `nestjs-captcha`; a no-op until an SDK is
 * registered). Names are a contract: `captcha_verifications_total`,
 * `captcha_verification_duration_seconds`, `captcha_challenges_total`,
 * `captcha_provider_failures_total`, `captcha_circuit_open`, `captcha_store_evictions_total`.
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
}
