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
 * Routes that count this way declare `failedAttempts({ …, resetOnSuccess: false })`, since their
 * handler answers 200 for a failure too.
 *
 * @example
 * ```ts
 * // @RequireCaptcha({ action: 'otp', when: failedAttempts({ threshold: 5, window: '10m', resetOnSuccess: false }) })
 * await this.risk.recordFailure('otp', clientIp, '10m');
 * ```
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

  /** Failures counted in the current window. */
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
