import { Inject, Injectable, Logger } from '@nestjs/common';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';

/** Default {@link CaptchaOutageLog} summary interval (`outageLogIntervalMs`). @internal */
export const DEFAULT_OUTAGE_LOG_INTERVAL_MS = 10_000;

/**
 * What is down: the store, or a provider (by name; its primary endpoint).
 * @internal
 */
export type CaptchaOutageSource = { store: true } | { provider: string };

/** The store, as a {@link CaptchaOutageSource}. @internal */
export const STORE_OUTAGE: CaptchaOutageSource = Object.freeze({ store: true });

interface Outage {
  /** `Date.now()` when the outage was first seen. */
  readonly since: number;
  /** When the last summary (or the first line) was written. */
  lastLineAt: number;
  /** Failures since the last line, in all and by reason. */
  failed: number;
  reasons: Record<string, number>;
}

/**
 * The log of an outage, so that it tells an operator what changed rather than repeating every
 * refused request: the store or a provider became unavailable (error, once, with the cause),
 * how many requests failed since, by reason (warn, at most once per `outageLogIntervalMs`, lazily:
 * written by the first failure after the interval), and that it recovered (warn, with how long it
 * lasted and the failures not yet summed up). The per-request lines of an outage are written at
 * debug by their callers; metrics count every one.
 *
 * @internal
 */
@Injectable()
export class CaptchaOutageLog {
  private readonly logger = new Logger('CaptchaOutage');
  private readonly outages = new Map<string, Outage>();
  private readonly intervalMs: number;

  constructor(@Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions) {
    this.intervalMs = options.outageLogIntervalMs ?? DEFAULT_OUTAGE_LOG_INTERVAL_MS;
  }

  /** Whether any outage is under way: a field read, for success paths to check first. */
  get active(): boolean {
    return this.outages.size > 0;
  }

  /**
   * One failure of `source` for `reason` (a store operation, a provider failure kind). The first
   * of an outage is logged at error with `cause`; later ones are counted for the summary.
   */
  failed(source: CaptchaOutageSource, reason: string, cause: Record<string, unknown>): void {
    const key = keyOf(source);
    const now = Date.now();
    let outage = this.outages.get(key);
    if (outage === undefined) {
      outage = { since: now, lastLineAt: now, failed: 0, reasons: {} };
      this.outages.set(key, outage);
      this.write('error', {
        event: 'store' in source ? 'captcha.store_unavailable' : 'captcha.provider_unavailable',
        ...this.fieldsOf(source),
        reason,
        ...cause,
      });
    } else if (now - outage.lastLineAt >= this.intervalMs) {
      this.write('warn', {
        event: 'captcha.outage_summary',
        ...this.fieldsOf(source),
        ...this.tally(outage, now),
      });
    }
    outage.failed += 1;
    outage.reasons[reason] = (outage.reasons[reason] ?? 0) + 1;
  }

  /** `source` answered again: the outage, if one was under way, ends with one line. */
  recovered(source: CaptchaOutageSource): void {
    const key = keyOf(source);
    const outage = this.outages.get(key);
    if (outage === undefined) return;
    this.outages.delete(key);
    const now = Date.now();
    this.write('warn', {
      event: 'store' in source ? 'captcha.store_recovered' : 'captcha.provider_recovered',
      ...this.fieldsOf(source),
      downForMs: now - outage.since,
      ...this.tally(outage, now),
    });
  }

  /** A provider's circuit is half-open: the next call is its trial. */
  circuitHalfOpen(provider: string): void {
    this.write('warn', { event: 'captcha.circuit_half_open', provider });
  }

  /** Writes one line; `CaptchaTestingModule` writes them at debug. */
  protected write(level: 'error' | 'warn', line: Record<string, unknown>): void {
    this.logger[level](line);
  }

  private fieldsOf(source: CaptchaOutageSource): Record<string, unknown> {
    return 'store' in source
      ? { source: 'store', policy: this.options.storeFailureMode }
      : { source: 'provider', provider: source.provider, policy: this.options.failureMode };
  }

  /** The failures since the last line, which this line reports; the count starts again. */
  private tally(outage: Outage, now: number): Record<string, unknown> {
    const tally = {
      sinceMs: now - outage.lastLineAt,
      failed: outage.failed,
      reasons: outage.reasons,
    };
    outage.lastLineAt = now;
    outage.failed = 0;
    outage.reasons = {};
    return tally;
  }
}

function keyOf(source: CaptchaOutageSource): string {
  return 'store' in source ? 'store' : `provider:${source.provider}`;
}
