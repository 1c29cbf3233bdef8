import { Inject, Injectable, Optional } from '@nestjs/common';
import { isIP } from 'node:net';
import { ClientIpResolver } from '../http/client-ip-resolver';
import { CaptchaStore } from '../stores/captcha-store.interface';
import { parseDuration, type Duration } from './duration';
import { failureCounterKey } from './failed-attempts.condition';

/**
 * Feeds `failedAttempts` counters from your own code, for apps that decide themselves what a
 * failure is (a failed OTP, a declined card). A counter is named (`counter`, by default the
 * route's action) and keyed by subject: the client IP for `per: 'ip'`, the lower-cased value for a
 * body or header path, parts joined with `|` for composites (`'ip+body.email'` →
 * `'203.0.113.7|ana@example.com'`). An IPv6 address (alone or as a part) is grouped into its
 * network under the module's `ipv6Prefix`, as `per: 'ip'` does, so pass the full address.
 *
 * Routes that count this way declare `failedAttempts({ …, resetOn: 'never' })`, since their
 * handler answers 200 for a failure too (clear the count yourself with {@link reset} when your
 * code sees a real success). The condition still holds one count per attempt in flight and gives
 * it back when the handler answers, so a burst cannot race past `threshold` on these routes
 * either: the failures you record are what remains.
 *
 * @example
 * ```ts
 * // @RequireCaptcha({ action: 'otp', when: failedAttempts({ threshold: 5, window: '10m', resetOn: 'never' }) })
 * await this.risk.recordFailure('otp', clientIp, '10m');
 * ```
 *
 * @public
 */
@Injectable()
export class CaptchaRiskService {
  constructor(
    @Inject(CaptchaStore) private readonly store: CaptchaStore,
    @Optional() private readonly clientIp?: ClientIpResolver,
  ) {}

  /** Counts one failure; the first opens a window of `window`. Resolves with the new count. */
  recordFailure(counter: string, subject: string, window: Duration = '15m'): Promise<number> {
    return this.store.increment(
      failureCounterKey(counter, this.normalize(subject)),
      parseDuration(window),
    );
  }

  /** Clears the failures, e.g. after a success the library did not see. */
  reset(counter: string, subject: string): Promise<void> {
    return this.store.reset(failureCounterKey(counter, this.normalize(subject)));
  }

  /**
   * The count in the current window: the failures, plus the attempts `failedAttempts` holds for
   * requests still in flight (given back when they answer without failing).
   */
  failures(counter: string, subject: string): Promise<number> {
    return this.store.count(failureCounterKey(counter, this.normalize(subject)));
  }

  /** Lower case, and IPv6 addresses (alone or as `|`-joined parts) as their network. */
  private normalize(subject: string): string {
    const text = subject.trim().toLowerCase();
    // Only text with a colon can be IPv6 (e-mail addresses and ids have none): no split otherwise.
    const resolver = this.clientIp;
    if (resolver === undefined || !text.includes(':')) return text;
    return text
      .split('|')
      .map((part) => (isIP(part) === 6 ? resolver.networkOf(part) : part))
      .join('|');
  }
}
