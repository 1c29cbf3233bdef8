import { Inject, Injectable, Logger } from '@nestjs/common';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';

/** Default {@link CaptchaOutageLog} summary interval (`outageLogIntervalMs`). @internal */
export const DEFAULT_OUTAGE_LOG_INTERVAL_MS = 10_000;

interface Outage {
  /** `Date.now()` when the outage was first seen. */
  readonly since: number;
  /** When the last line about it was written. */
  lastLineAt: number;
  /** Failures since the last line, in all and by reason. */
  failed: number;
  reasons: Record<string, number>;
  /** When it answered again; a failure within an interval of it is the same outage. */
  recoveredAt: number | undefined;
  /** Recovery lines written: the first comes at once, later ones (a flapping dependency) wait. */
  recoveries: number;
  /** Recovered, but the line waits for the interval. */
  recoveryUnsaid: boolean;
}

/**
 * The log of an outage, so that it tells an operator what changed rather than repeating every
 * refused request: the store or a provider became unavailable (error, once, with the cause),
 * how many requests failed since, by reason (warn, at most once per `outageLogIntervalMs`, lazily:
 * written by the first failure after the interval), and that it recovered (warn, with how long it
 * lasted and the failures not yet summed up). A dependency that flaps (fails again within an
 * interval of recovering) is one outage: no second error line, and its lines stay at most one per
 * interval. The per-request lines of an outage are written at debug by their callers; metrics
 * count every one.
 *
 * @internal
 */
@Injectable()
export class CaptchaOutageLog {
  private readonly logger = new Logger('CaptchaOutage');
  private store: Outage | undefined;
  private readonly providers = new Map<string, Outage>();
  private readonly intervalMs: number;

  constructor(@Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions) {
    this.intervalMs = options.outageLogIntervalMs ?? DEFAULT_OUTAGE_LOG_INTERVAL_MS;
  }

  /** Whether a provider outage is on record: a field read, for the verification's success path. */
  get providerOutages(): boolean {
    return this.providers.size > 0;
  }

  /** One failed store operation (`reason`: which), with the cause for the first line. */
  storeFailed(reason: string, cause: Record<string, unknown>): void {
    const fields = { source: 'store', policy: this.options.storeFailureMode };
    this.store = this.failed(this.store, 'captcha.store_unavailable', fields, reason, cause);
  }

  /**
   * A store operation succeeded; `true` once the outage is closed (the caller may stop telling).
   */
  storeAnswered(): boolean {
    const fields = { source: 'store', policy: this.options.storeFailureMode };
    if (!this.answered(this.store, 'captcha.store_recovered', fields)) return false;
    this.store = undefined;
    return true;
  }

  /** One failed call to `provider`'s primary endpoint (`reason`: the failure kind). */
  providerFailed(provider: string, reason: string, cause: Record<string, unknown>): void {
    const event = 'captcha.provider_unavailable';
    const outage = this.failed(
      this.providers.get(provider),
      event,
      this.of(provider),
      reason,
      cause,
    );
    this.providers.set(provider, outage);
  }

  /** A call to `provider`'s primary endpoint succeeded. */
  providerAnswered(provider: string): void {
    const outage = this.providers.get(provider);
    if (outage === undefined) return;
    const recovered = this.answered(outage, 'captcha.provider_recovered', this.of(provider));
    if (recovered) this.providers.delete(provider);
  }

  /** A provider's circuit is half-open: the next call is its trial. */
  circuitHalfOpen(provider: string): void {
    this.write('warn', { event: 'captcha.circuit_half_open', provider });
  }

  /** Writes one line; `CaptchaTestingModule` writes them at debug. */
  protected write(level: 'error' | 'warn', line: Record<string, unknown>): void {
    this.logger[level](line);
  }

  private of(provider: string): Record<string, unknown> {
    return { source: 'provider', provider, policy: this.options.failureMode };
  }

  private failed(
    outage: Outage | undefined,
    event: string,
    fields: Record<string, unknown>,
    reason: string,
    cause: Record<string, unknown>,
  ): Outage {
    const now = Date.now();
    if (outage?.recoveredAt !== undefined) {
      if (now - outage.recoveredAt < this.intervalMs) {
        // Failing again within an interval of recovering: the same outage, nothing new to say.
        outage.recoveredAt = undefined;
        outage.recoveryUnsaid = false;
      } else {
        // A new outage after a quiet interval the record outlived: its recovery said first.
        if (outage.recoveryUnsaid) this.sayRecovered(outage, event, fields, now);
        outage = undefined;
      }
    }
    if (outage === undefined) {
      outage = {
        since: now,
        lastLineAt: now,
        failed: 0,
        reasons: {},
        recoveredAt: undefined,
        recoveries: 0,
        recoveryUnsaid: false,
      };
      this.write('error', { event, ...fields, reason, ...cause });
    } else if (now - outage.lastLineAt >= this.intervalMs) {
      this.write('warn', {
        event: 'captcha.outage_summary',
        ...fields,
        ...this.tally(outage, now),
      });
    }
    outage.failed += 1;
    outage.reasons[reason] = (outage.reasons[reason] ?? 0) + 1;
    return outage;
  }

  /**
   * A success: the first after failures says so (at once the first time, else at most once an
   * interval); `true` once the record can go (recovered, said, and quiet for an interval).
   */
  private answered(
    outage: Outage | undefined,
    event: string,
    fields: Record<string, unknown>,
  ): boolean {
    if (outage === undefined) return true;
    const now = Date.now();
    if (outage.recoveredAt === undefined) {
      outage.recoveredAt = now;
      outage.recoveryUnsaid = true;
    }
    if (outage.recoveryUnsaid) {
      if (outage.recoveries === 0 || now - outage.lastLineAt >= this.intervalMs) {
        this.sayRecovered(outage, event, fields, now);
      }
      return false;
    }
    return now - outage.recoveredAt >= this.intervalMs;
  }

  private sayRecovered(
    outage: Outage,
    event: string,
    fields: Record<string, unknown>,
    now: number,
  ): void {
    outage.recoveries += 1;
    outage.recoveryUnsaid = false;
    const downForMs = (outage.recoveredAt ?? now) - outage.since;
    this.write('warn', { event, ...fields, downForMs, ...this.tally(outage, now) });
  }

  /** The failures since the last line, which this line reports; the count starts again. */
  private tally(outage: Outage, now: number): Record<string, unknown> {
    const sinceMs = now - outage.lastLineAt;
    const tally = { sinceMs, failed: outage.failed, reasons: outage.reasons };
    outage.lastLineAt = now;
    outage.failed = 0;
    outage.reasons = {};
    return tally;
  }
}
