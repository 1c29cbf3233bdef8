import { HttpException, type Type } from '@nestjs/common';
import { subjectStoreKey } from '../stores/subject-store-key';
import { peekCount } from '../stores/peek-count';
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
  return subjectStoreKey(`failed:${counter}`, subject);
}

/**
 * Challenge after repeated failures: the handler throwing one of `countOn` (default 401, e.g.
 * `UnauthorizedException` on a wrong password) counts one for the subject; `threshold` of them
 * within `window` put a challenge in front of the next attempts; a success resets the count.
 * On HTTP routes the guard counts from the response's status once it is sent; elsewhere
 * (GraphQL resolvers, gateways) an interceptor `@RequireCaptcha` installs does. The condition
 * itself only reads the counter, so a calm request costs one read (no promise on the memory
 * store).
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
  const keyFor = (context: CaptchaContext, subject: string) =>
    failureCounterKey(options.counter ?? context.action ?? 'default', subject);
  // The key once per request: the condition computes it, the outcome hooks reuse it.
  const keySlot = Symbol('failedAttempts:key');
  // The count the condition saw, so a success with nothing to clear writes nothing.
  const seenSlot = Symbol('failedAttempts:seen');
  type Slots = { [keySlot]?: string | Promise<string>; [seenSlot]?: number };
  const keyOf = (context: CaptchaContext): string | Promise<string> => {
    const slots = context as CaptchaContext & Slots;
    if (slots[keySlot] !== undefined) return slots[keySlot];
    const subject = subjectOf(context);
    const key =
      typeof subject === 'string'
        ? keyFor(context, subject)
        : subject.then((resolved) => keyFor(context, resolved));
    slots[keySlot] = key;
    return key;
  };
  const decide = (context: CaptchaContext, count: number) => {
    (context as CaptchaContext & Slots)[seenSlot] = count;
    return count >= threshold;
  };
  const countOf = (context: CaptchaContext, key: string): boolean | Promise<boolean> => {
    // The memory store answers at once: a calm request then costs no promise at all.
    const now = peekCount(context.store, key);
    if (now !== undefined) return decide(context, now);
    return context.store.count(key).then((count) => decide(context, count));
  };

  const statuses = countOn.filter((match): match is number => typeof match === 'number');
  const isFailure = (error: unknown) =>
    countOn.some((match) =>
      typeof match === 'number'
        ? error instanceof HttpException && error.getStatus() === match
        : error instanceof match,
    );
  const fail = async (context: CaptchaContext) => {
    await context.store.increment(await keyOf(context), windowMs);
  };
  const reset = async (context: CaptchaContext) => {
    await context.store.reset(await keyOf(context));
  };
  // Nothing to clear (or no clearing asked for): no store call, and no promise either.
  const succeed = (context: CaptchaContext) =>
    !resetOnSuccess || (context as CaptchaContext & Slots)[seenSlot] === 0
      ? undefined
      : reset(context);

  return defineCondition(
    'failedAttempts',
    (context) => {
      const key = keyOf(context);
      return typeof key === 'string'
        ? countOf(context, key)
        : key.then((resolved) => countOf(context, resolved));
    },
    {
      [CONDITION_OUTCOME]: {
        onError: (context, error) => (isFailure(error) ? fail(context) : undefined),
        onSuccess: succeed,
        // Statuses alone say what happened unless `countOn` names exception classes.
        ...(statuses.length === countOn.length
          ? {
              onStatus: (context: CaptchaContext, status: number) =>
                statuses.includes(status)
                  ? fail(context)
                  : status < 400
                    ? succeed(context)
                    : undefined,
            }
          : {}),
      },
    },
  );
}
