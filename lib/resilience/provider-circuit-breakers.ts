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
import { CaptchaOutageLog } from '../observability/captcha-outage-log';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { ProviderEndpoint } from '../providers/captcha-provider.interface';

/**
 * Outages that count against a circuit: the provider could not answer (timeout, network, 5xx,
 * 429, unreadable answer). Not `misconfigured` (a refused request, which a client can provoke, and
 * our own error besides) nor `degraded` (the provider answered, about one client-chosen token).
 */
const isOutage = (error: unknown) =>
  error instanceof CaptchaUnavailableError &&
  error.kind !== 'misconfigured' &&
  error.kind !== 'degraded' &&
  error.kind !== 'circuit_open';

interface ProviderCircuit {
  endpoint: ProviderEndpoint;
  policy: CircuitBreakerPolicy | undefined;
  openedAt: number | undefined;
  lastOutageAt: number | undefined;
}

/**
 * One circuit breaker per provider endpoint (cockatiel): after `threshold` consecutive outages the
 * endpoint is not called for `halfOpenAfterMs`, and every decision in between is immediate
 * (`CaptchaUnavailableError` of kind `circuit_open`); then one trial call decides. Also writes the
 * `provider_unreachable`, `misconfigured`, `circuit_opened` and `circuit_closed` audit events
 * (with `endpoint: 'backup'` for the backup's), and tells the outage log of the primary
 * endpoint's outages (every failed call, `circuit_open` included), its half-open circuit, and the
 * first success after an outage.
 *
 * Per endpoint because the client's token picks the endpoint (CaptchaLa `offline_` tokens go to
 * the backup URL): junk tokens failing there must not stop everyone's verification at the primary
 * one. What the rest of the library calls "the provider's circuit" is the primary endpoint's:
 * `state`, `isDegraded` and `retryAfterSeconds` default to it, and the `captcha_circuit_open`
 * gauge (labelled by provider only) follows it alone.
 *
 * @internal
 */
@Injectable()
export class ProviderCircuitBreakers {
  private readonly circuits = new Map<string, ProviderCircuit>();

  constructor(
    @Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions,
    @Inject(CAPTCHA_AUDIT_SINK) private readonly audit: CaptchaAuditSink,
    private readonly metrics: CaptchaMetrics,
    private readonly outages: CaptchaOutageLog,
  ) {}

  /**
   * Runs one provider verification through the circuit of the endpoint it calls. A failure is
   * rethrown with its `endpoint` set.
   */
  async execute<T>(
    provider: CaptchaVerifierName,
    verify: () => Promise<T>,
    endpoint: ProviderEndpoint = 'primary',
  ): Promise<T> {
    const circuit = this.circuit(provider, endpoint);
    let answer: T;
    try {
      answer = await (circuit.policy ? circuit.policy.execute(verify) : verify());
    } catch (error) {
      throw this.onFailure(provider, circuit, error);
    }
    // A field read unless some outage is under way.
    if (this.outages.providerOutages && endpoint === 'primary') {
      this.outages.providerAnswered(provider);
    }
    return answer;
  }

  /** Accounts for a failed call (metrics, audit, the cool-down) and says what to throw. */
  private onFailure(
    provider: CaptchaVerifierName,
    circuit: ProviderCircuit,
    error: unknown,
  ): unknown {
    const { endpoint } = circuit;
    // Audit events name a backup endpoint; the primary's read as they always did.
    const where = endpoint === 'primary' ? {} : { endpoint };
    if (isBrokenCircuitError(error)) {
      this.metrics.providerFailure(provider, 'circuit_open');
      if (endpoint === 'primary') {
        this.outages.providerFailed(provider, 'circuit_open', {
          cause: 'circuit open: not called',
        });
      }
      const open = new CaptchaUnavailableError(
        provider,
        'circuit_open',
        `${provider} ${endpoint === 'primary' ? '' : `${endpoint} `}circuit is open: not called`,
      );
      open.endpoint = endpoint;
      return open;
    }
    if (error instanceof CaptchaUnavailableError) error.endpoint = endpoint;
    if (isOutage(error)) {
      circuit.lastOutageAt = Date.now();
      const { kind, details } = error as CaptchaUnavailableError;
      this.metrics.providerFailure(provider, kind);
      if (endpoint === 'primary') {
        this.outages.providerFailed(provider, kind, { status: details.status });
      }
      this.audit.emit({
        event: 'captcha.provider_unreachable',
        provider,
        ...where,
        kind,
        latencyMs: details.latencyMs,
        status: details.status,
      });
    } else if (error instanceof CaptchaUnavailableError && error.kind === 'misconfigured') {
      this.metrics.providerFailure(provider, 'misconfigured');
      this.audit.emit({
        event: 'captcha.misconfigured',
        provider,
        ...where,
        cause: error.message,
        errorCodes: error.details.errorCodes,
      });
    }
    return error;
  }

  /** `closed`, `open` or `half-open`, of the provider's primary endpoint unless `endpoint` says. */
  state(
    provider: CaptchaVerifierName,
    endpoint: ProviderEndpoint = 'primary',
  ): 'closed' | 'open' | 'half-open' {
    const state = this.circuit(provider, endpoint).policy?.state;
    if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
    if (state === CircuitState.HalfOpen) return 'half-open';
    return 'closed';
  }

  /**
   * Whether the provider is down right now: its primary endpoint's circuit is not closed, or it
   * failed within the cool-down. A fallback token is accepted only then. (A backup endpoint's
   * outage does not make the provider down: a client picks that endpoint.)
   */
  isDegraded(provider: CaptchaVerifierName, endpoint: ProviderEndpoint = 'primary'): boolean {
    const { lastOutageAt } = this.circuit(provider, endpoint);
    return (
      this.state(provider, endpoint) !== 'closed' ||
      (lastOutageAt !== undefined && Date.now() - lastOutageAt < this.coolDownMs())
    );
  }

  /** Seconds until the provider (or its `endpoint`) is worth trying again (`Retry-After`). */
  retryAfterSeconds(provider: CaptchaVerifierName, endpoint: ProviderEndpoint = 'primary'): number {
    const { openedAt } = this.circuit(provider, endpoint);
    const remaining =
      openedAt !== undefined && this.state(provider, endpoint) === 'open'
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

  private circuit(provider: CaptchaVerifierName, endpoint: ProviderEndpoint): ProviderCircuit {
    // The primary's key is the bare provider name: no string built on every verified request.
    const key = endpoint === 'primary' ? provider : `${provider}:${endpoint}`;
    let circuit = this.circuits.get(key);
    if (circuit) return circuit;
    const settings = this.options.circuitBreaker;
    const primary = endpoint === 'primary';
    const where = primary ? {} : { endpoint };
    circuit = { endpoint, policy: undefined, openedAt: undefined, lastOutageAt: undefined };
    if (settings) {
      const policy = circuitBreaker(handleWhen(isOutage), {
        halfOpenAfter: settings.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(settings.threshold),
      });
      const current = circuit;
      policy.onBreak(() => {
        current.openedAt = Date.now();
        // The gauge is per provider (label contract): it shows the primary endpoint's circuit.
        if (primary) this.metrics.circuitOpen(provider, true);
        this.audit.emit({
          event: 'captcha.circuit_opened',
          provider,
          ...where,
          threshold: settings.threshold,
          halfOpenAfterMs: settings.halfOpenAfterMs,
        });
      });
      if (primary) policy.onHalfOpen(() => this.outages.circuitHalfOpen(provider));
      policy.onReset(() => {
        current.openedAt = undefined;
        if (primary) this.metrics.circuitOpen(provider, false);
        current.lastOutageAt = undefined;
        this.audit.emit({ event: 'captcha.circuit_closed', provider, ...where });
      });
      circuit.policy = policy;
    }
    this.circuits.set(key, circuit);
    return circuit;
  }
}
