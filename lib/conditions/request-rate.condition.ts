import { subjectStoreKey } from '../stores/subject-store-key';
import type { CaptchaCondition } from './captcha-condition';
import { CONDITION_SOURCES, defineCondition } from './condition-internals';
import { parseDuration, type Duration } from './duration';
import { compileSubject, subjectSources, type CaptchaSubject } from './subject-key';

/**
 * Options of {@link requestRate}.
 *
 * @public
 */
export interface RequestRateOptions {
  /** Requests allowed in the window before the next ones are challenged. */
  max: number;
  /** The window, from the subject's first request (a fixed window), e.g. `'1m'`. */
  window: Duration;
  /** Whose requests are counted together. Default `'ip'`. */
  per?: CaptchaSubject;
  /** The counter's name, shared by routes that count together. Default: the route's `action`. */
  counter?: string;
}

/**
 * Challenge bursts: every request counts one for its subject, and past `max` in `window` the
 * next ones are challenged until the window closes.
 *
 * @example
 * ```ts
 * @RequireCaptcha({ action: 'comment', when: requestRate({ max: 5, window: '1m', per: 'ip' }) })
 * ```
 *
 * @public
 */
export function requestRate(options: RequestRateOptions): CaptchaCondition {
  const { max } = options;
  if (!Number.isInteger(max) || max < 0) {
    throw new TypeError(`requestRate: max ${JSON.stringify(max)} must be a non-negative integer`);
  }
  const windowMs = parseDuration(options.window, 'requestRate: window');
  const subjectOf = compileSubject(options.per ?? 'ip');
  return defineCondition(
    'requestRate',
    async (context) => {
      const key = subjectStoreKey(
        `rate:${options.counter ?? context.action ?? 'default'}`,
        await subjectOf(context),
      );
      return (await context.store.increment(key, windowMs)) > max;
    },
    { [CONDITION_SOURCES]: subjectSources(options.per ?? 'ip') },
  );
}
