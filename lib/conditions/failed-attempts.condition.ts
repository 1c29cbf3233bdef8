import { HttpException, type Type } from '@nestjs/common';
import { hashStoreKey } from '../stores/hash-store-key';
import type { CaptchaCondition, CaptchaContext } from './captcha-condition';
import { CONDITION_OUTCOME, defineCondition } from './condition-internals';
import { parseDuration, type Duration } from './duration';
import { compileSubject, type CaptchaSubject } from './subject-key';

/** Options of {@link failedAttempts}. */
export interface FailedAttemptsOptions {
  /** Challenge once this many failures are counted in the window. */
  threshold: number;
  /** How long failures count, from the first one (a fixed window), e.g. `'15m'`. */
  window: Duration;
  /** Whose failures are counted together. Default `'ip'`. */
  per?: CaptchaSubject;
  /**
   * The counter's name, shared by routes (and `CaptchaRiskService`) that count the same thing.
   * Default: the route's `action`.
   */
  counter?: string;
  /** What counts as a failure: HTTP statuses or exception classes. Default `[401]`. */
  countOn?: ReadonlyArray<number | Type<unknown>>;
  /** A success clears the counter. Default `true`. */
  resetOnSuccess?: boolean;
}

/** The store key of a failure counter; shared with `CaptchaRiskService`. */
export function failureCounterKey(counter: string, subject: string): string {
  return hashStoreKey(`failed:${counter}`, subject);
}

/**
 * Challenge after repeated failures: the handler throwing one of `countOn` (default 401, e.g.
 * `UnauthorizedException` on a wrong password) counts one for the subject; `threshold` of them
 * within `window` put a challenge in front of the next attempts; a success resets the count.
 * The counting is done by an interceptor `@RequireCaptcha` installs; the condition itself only
 * reads the counter, so a calm request costs one read.
 *
 * @example
 * ```ts
 * @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 3, window: '15m', per: 'ip' }) })
 * ```
 */
export function failedAttempts(options: FailedAttemptsOptions): CaptchaCondition {
  const { threshold, countOn = [401], resetOnSuccess = true } = options;
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new TypeError(
      `failedAttempts: threshold ${JSON.stringify(threshold)} must be a positive integer`,
    );
  }
  const windowMs = parseDuration(options.window, 'failedAttempts: window');
  const subjectOf = compileSubject(options.per ?? 'ip');
  const keyOf = async (context: CaptchaContext) =>
    failureCounterKey(options.counter ?? context.action ?? 'default', await subjectOf(context));
  // Counts seen by the condition, so a success with nothing to clear writes nothing.
  const seen = new WeakMap<object, number>();

  const isFailure = (error: unknown) =>
    countOn.some((match) =>
      typeof match === 'number'
        ? error instanceof HttpException && error.getStatus() === match
        : error instanceof match,
    );

  return defineCondition(
    'failedAttempts',
    async (context) => {
      const count = await context.store.count(await keyOf(context));
      if (typeof context.request === 'object' && context.request !== null)
        seen.set(context.request, count);
      return count >= threshold;
    },
    {
      [CONDITION_OUTCOME]: {
        async onError(context, error) {
          if (!isFailure(error)) return;
          await context.store.increment(await keyOf(context), windowMs);
        },
        async onSuccess(context) {
          if (!resetOnSuccess || seen.get(context.request as object) === 0) return;
          await context.store.reset(await keyOf(context));
        },
      },
    },
  );
}
