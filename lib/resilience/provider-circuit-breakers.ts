import { Inject, Injectable } from '@nestjs/common';
import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  isBrokenCircuitError,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { CaptchaAuditSink } from '../config/captcha-module-options.interface';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import { CAPTCHA_AUDIT_SINK } from '../observability/captcha-audit-sink';
import { CaptchaMetrics } from '../observability/captcha-metrics';
import type { CaptchaProviderName } from '../providers/captcha-provider-name';

/** Outages that count against a provider's circuit: not our own misconfiguration. */
const isOutage = (error: unknown) =>
  error instanceof CaptchaUnavailableError &&
  error.kind !== 'misconfigured' &&
  error.kind !== 'circuit_open';

interface ProviderCircuit {
  policy: CircuitBreakerPolicy | undefined;
  openedAt: number | undefined;
  lastOutageAt: number | undefined;
}

/**
 * One circuit breaker per provider (cockatiel): after `threshold` consecutive outages the
 * provider is not called for `halfOpenAfterMs`, and every decision in between is immediate
 * (`CaptchaUnavailableError` of kind `circuit_open`); then one trial call decides. Also writes the
 * `provider_unreachable`, `misconfigured`, `circuit_opened` and `circuit_closed` audit events.
 */
@Injectable()
export class ProviderCircuitBreakers {
  private readonly circuits = new Map<CaptchaProviderName, ProviderCircuit>();

  constructor(
    @Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions,
    @Inject(CAPTCHA_AUDIT_SINK) private readonly audit: CaptchaAuditSink,
    private readonly metrics: CaptchaMetrics,
  ) {}

  /**
   * Runs one provider verification through the provider's circuit. One promise layer (no
   * `async`): it sits on every verified request.
   */
  execute<T>(provider: CaptchaProviderName, verify: () => Promise<T>): Promise<T> {
    const circuit = this.circuit(provider);
    let attempt: Promise<T>;
    try {
      attempt = circuit.policy ? circuit.policy.execute(verify) : verify();
    } catch (error) {
      attempt = Promise.reject(error);
    }
    return attempt.catch((error: unknown) => {
      throw this.onFailure(provider, circuit, error);
    });
  }

  /** Accounts for a failed call (metrics, audit, the cool-down) and says what to throw. */
  private onFailure(
    provider: CaptchaProviderName,
    circuit: ProviderCircuit,
    error: unknown,
  ): unknown {
    if (isBrokenCircuitError(error)) {
      this.metrics.providerFailure(provider, 'circuit_open');
      return new CaptchaUnavailableError(
        provider,
        'circuit_open',
        `${provider} circuit is open: not called`,
      );
    }
    if (isOutage(error)) {
      circuit.lastOutageAt = Date.now();
      const { kind, details } = error as CaptchaUnavailableError;
      this.metrics.providerFailure(provider, kind);
      this.audit.emit({
        event: 'captcha.provider_unreachable',
        provider,
        kind,
        latencyMs: details.latencyMs,
        status: details.status,
      });
    } else if (error instanceof CaptchaUnavailableError && error.kind === 'misconfigured') {
      this.metrics.providerFailure(provider, 'misconfigured');
      this.audit.emit({
        event: 'captcha.misconfigured',
        provider,
        cause: error.message,
        errorCodes: error.details.errorCodes,
      });
    }
    return error;
  }

  /** `closed`, `open` or `half-open`. */
  state(provider: CaptchaProviderName): 'closed' | 'open' | 'half-open' {
    const state = this.circuit(provider).policy?.state;
    if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
    if (state === CircuitState.HalfOpen) return 'half-open';
    return 'closed';
  }

  /**
   * Whether the provider is down right now: its circuit is not closed, or it failed within the
   * cool-down. A fallback token is accepted only then.
   */
  isDegraded(provider: CaptchaProviderName): boolean {
    const { lastOutageAt } = this.circuit(provider);
    return (
      this.state(provider) !== 'closed' ||
      (lastOutageAt !== undefined && Date.now() - lastOutageAt < this.coolDownMs())
    );
  }

  /** Seconds until the provider is worth trying again (`Retry-After`). */
  retryAfterSeconds(provider: CaptchaProviderName): number {
    const { openedAt } = this.circuit(provider);
    const remaining =
      openedAt !== undefined && this.state(provider) === 'open'
        ? this.coolDownMs() - (Date.now() - openedAt)
        : 0;
    return Math.max(
      1,
      Math.ceil((remaining > 0 ? remaining : Math.min(this.coolDownMs(), 10_000)) / 1000),
    );
  }

  private coolDownMs(): number {
    return this.options.circuitBreaker ? this.options.circuitBreaker.halfOpenAfterMs : 10_000;
  }

  private circuit(provider: CaptchaProviderName): ProviderCircuit {
    let circuit = this.circuits.get(provider);
    if (circuit) return circuit;
    const settings = this.options.circuitBreaker;
    circuit = { policy: undefined, openedAt: undefined, lastOutageAt: undefined };
    if (settings) {
      const policy = circuitBreaker(handleWhen(isOutage), {
        halfOpenAfter: settings.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(settings.threshold),
      });
      const current = circuit;
      policy.onBreak(() => {
        current.openedAt = Date.now();
        this.metrics.circuitOpen(provider, true);
        this.audit.emit({
          event: 'captcha.circuit_opened',
          provider,
          threshold: settings.threshold,
          halfOpenAfterMs: settings.halfOpenAfterMs,
        });
      });
      policy.onReset(() => {
        current.openedAt = undefined;
        this.metrics.circuitOpen(provider, false);
        current.lastOutageAt = undefined;
        this.audit.emit({ event: 'captcha.circuit_closed', provider });
      });
      circuit.policy = policy;
    }
    this.circuits.set(provider, circuit);
    return circuit;
  }
}
