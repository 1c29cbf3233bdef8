import { subjectStoreKey } from '../stores/subject-store-key';
import { decrementNow, incrementNow } from '../stores/sync-counter';
import type { CaptchaCondition, CaptchaContext } from './captcha-condition';
import { CONDITION_OUTCOME, CONDITION_SOURCES, defineCondition } from './condition-internals';
import { parseDuration, type Duration } from './duration';
import {
  checkCountOn,
  countOnMatcher,
  describeValue,
  type FailedAttemptsMatch,
} from './failed-attempts-count-on';
import { compileSubject, subjectSources, type CaptchaSubject } from './subject-key';

export type { FailedAttemptsMatch } from './failed-attempts-count-on';

/**
 * Which successes clear a `failedAttempts` count:
 * - `'verified'` (default): only a success on a request that passed a verified challenge (a user
 *   who just solved one and signed in starts clean);
 * - `'success'`: any success, for subjects that name the account (`'body.email'`,
 *   `'ip+body.email'`, a function); refused for `per: 'ip'`, where a success to the attacker's own
 *   account would clear the count of their guesses at everyone else's;
 * - `'never'`: successes never clear it, the window does (apps counting with `CaptchaRiskService`).
 *
 * @public
 */
export type FailedAttemptsResetOn = 'verified' | 'success' | 'never';

const RESET_ON: readonly FailedAttemptsResetOn[] = ['verified', 'success', 'never'];

/**
 * Options of {@link failedAttempts}.
 *
 * @public
 */
export interface FailedAttemptsOptions {
  /** At most this many attempts per subject and window get through without a challenge. */
  threshold: number;
  /** How long failures count, from the first one (a fixed window), e.g. `'15m'`. */
  window: Duration;
  /** Whose attempts are counted together. Default `'ip'`. */
  per?: CaptchaSubject;
  /**
   * The counter's name, shared by routes (and `CaptchaRiskService`) that count the same thing.
   * Default: the route's `action`.
   */
  counter?: string;
  /**
   * What the handler throws that counts as a failure: HTTP statuses, error codes (GraphQL
   * `extensions.code`) or exception classes ({@link FailedAttemptsMatch}). Default `[401]`.
   * Statuses alone are judged from the HTTP response on controllers (no interceptor); codes and
   * classes need the thrown error, so the outcome interceptor judges them.
   */
  countOn?: readonly FailedAttemptsMatch[];
  /**
   * Counts a successful return value as a failure, for handlers that answer a failed sign-in with
   * data rather than an error (a GraphQL `{ ok: false }` payload, a controller's
   * `{ error: 'wrong_password' }` with status 200): `true` means the attempt failed. Judged by the
   * outcome interceptor (the route gives up status-only reporting). A truthy answer is a failure,
   * and so is a predicate that throws: both fail safe.
   *
   * @example
   * ```ts
   * failedAttempts({ threshold: 3, window: '15m', per: 'args.email', failedResult: (r) => (r as LoginPayload).ok === false })
   * ```
   */
  failedResult?: (result: unknown) => boolean;
  /** Which successes clear the count ({@link FailedAttemptsResetOn}). Default `'verified'`. */
  resetOn?: FailedAttemptsResetOn;
}

/**
 * The store key of a failure counter; shared with `CaptchaRiskService`.
 *
 * @public
 */
export function failureCounterKey(counter: string, subject: string): string {
  return subjectStoreKey(`failed:${counter}`, subject);
}

/**
 * Challenge after repeated failures: the handler throwing one of `countOn` (default 401, e.g.
 * `UnauthorizedException` on a wrong password; a GraphQL error code such as `'UNAUTHENTICATED'`),
 * or returning what `failedResult` calls a failure, is a failure; once `threshold` are counted for
 * the subject within `window`, later attempts meet a challenge.
 *
 * Every attempt is counted atomically when the condition is evaluated (one store round trip that
 * increments and returns the count; the condition fires when it exceeds `threshold`), and refunded
 * when its outcome is not a failure: a success, any other status or exception, or the checkpoint's
 * own refusal. So at most `threshold` attempts per subject and window get past the condition
 * without a challenge, however many are sent at once, on one instance or many sharing Redis. The
 * flip side: more than `threshold` simultaneous attempts of one subject are challenged too, even
 * calm ones. A success clears the count only as `resetOn` says (default: after a verified
 * challenge).
 *
 * On HTTP routes the guard learns the outcome from the response's status once it is sent;
 * elsewhere (GraphQL resolvers, gateways) from an interceptor `@RequireCaptcha` installs. A calm
 * request on the memory store is counted and refunded without a promise.
 *
 * @example
 * ```ts
 * @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 3, window: '15m', per: 'ip' }) })
 * ```
 *
 * @public
 */
export function failedAttempts(options: FailedAttemptsOptions): CaptchaCondition {
  const { threshold } = options;
  const countOn = checkCountOn(options.countOn ?? [401]);
  const failedResult = checkFailedResult(options.failedResult);
  if ((options as { resetOnSuccess?: unknown }).resetOnSuccess !== undefined) {
    throw new TypeError(
      "failedAttempts: resetOnSuccess is no longer supported; use resetOn: 'verified' (the default: only a success after a solved challenge clears the count), 'success' (any success, for subjects that name the account) or 'never'",
    );
  }
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new TypeError(
      `failedAttempts: threshold ${JSON.stringify(threshold)} must be a positive integer`,
    );
  }
  const per = options.per ?? 'ip';
  const resetOn = checkResetOn(options.resetOn ?? 'verified', per);
  const windowMs = parseDuration(options.window, 'failedAttempts: window');
  const subjectOf = compileSubject(per);
  const keyFor = (context: CaptchaContext, subject: string) =>
    failureCounterKey(options.counter ?? context.action ?? 'default', subject);
  // Per-request state, on the context (one condition serves every request of its routes):
  // the key, computed once; and, while this request holds a counted attempt, its key and the
  // count it got, so only an attempt actually counted is ever refunded, and at most once.
  // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#symbol-keyed-request-state
  const keySlot = Symbol('failedAttempts:key');
  const countedSlot = Symbol('failedAttempts:counted');
  const countSlot = Symbol('failedAttempts:count');
  type Slots = {
    [keySlot]?: string | Promise<string>;
    [countedSlot]?: string;
    [countSlot]?: number;
  };
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
  const counted = (context: CaptchaContext, key: string, count: number) => {
    const slots = context as CaptchaContext & Slots;
    slots[countedSlot] = key;
    slots[countSlot] = count;
    return count > threshold;
  };
  const countAttempt = (context: CaptchaContext, key: string): boolean | Promise<boolean> => {
    const slots = context as CaptchaContext & Slots;
    // Evaluated twice for one request (a subclassed guard, a combinator): counted once.
    if (slots[countSlot] !== undefined) return slots[countSlot] > threshold;
    // The memory store answers at once. A store failure rejects (or throws) here and reaches
    // the guard's `storeFailureMode`; the attempt is then not counted, and not refunded either.
    // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#synchronous-memory-store
    const now = incrementNow(context.store, key, windowMs);
    if (now !== undefined) return counted(context, key, now);
    return context.store.increment(key, windowMs).then((count) => counted(context, key, count));
  };

  const statuses = countOn.filter((match): match is number => typeof match === 'number');
  const isFailure = countOnMatcher(countOn);
  /** Whether a returned value is a failure; a predicate that throws fails safe. */
  const isFailedResult = (result: unknown) => {
    try {
      // Truthy counts: a predicate answering `result.error` (a string) means a failure.
      return Boolean(failedResult!(result));
    } catch {
      return true;
    }
  };
  /** Takes back this request's attempt, if it holds one. `undefined` when nothing is left to wait for. */
  const refund = (context: CaptchaContext): Promise<void> | undefined => {
    const slots = context as CaptchaContext & Slots;
    const key = slots[countedSlot];
    if (key === undefined) return undefined;
    slots[countedSlot] = undefined;
    try {
      if (decrementNow(context.store, key) !== undefined) return undefined;
    } catch (error) {
      // Hooks never throw: the guard calls some from a response's `finish` event.
      return Promise.reject(error);
    }
    return context.store.decrement(key).then(ignore);
  };
  const fail = (context: CaptchaContext): Promise<void> | undefined => {
    const slots = context as CaptchaContext & Slots;
    if (slots[countedSlot] !== undefined) {
      // Counted at evaluation: the attempt stays counted, nothing to write.
      slots[countedSlot] = undefined;
      return undefined;
    }
    // Never counted (a combinator decided without evaluating this condition, or the store failed
    // under `storeFailureMode: 'open'`): count the failure now, late but not lost.
    return countLate(context);
  };
  const countLate = async (context: CaptchaContext) => {
    await context.store.increment(await keyOf(context), windowMs);
  };
  const clear = async (context: CaptchaContext) => {
    await context.store.reset(await keyOf(context));
  };
  const succeed = (context: CaptchaContext): Promise<void> | undefined => {
    const clears = resetOn === 'success' || (resetOn === 'verified' && context.verified);
    if (!clears) return refund(context);
    const slots = context as CaptchaContext & Slots;
    // Ours was the only attempt in the window: the refund clears it (without a promise on the
    // memory store) and cannot wipe failures counted meanwhile by other requests.
    if (slots[countedSlot] !== undefined && slots[countSlot] === 1) return refund(context);
    slots[countedSlot] = undefined;
    return clear(context);
  };

  return defineCondition(
    'failedAttempts',
    (context) => {
      const key = keyOf(context);
      return typeof key === 'string'
        ? countAttempt(context, key)
        : key.then((resolved) => countAttempt(context, resolved));
    },
    {
      [CONDITION_SOURCES]: subjectSources(per),
      [CONDITION_OUTCOME]: {
        onError: (context, error) => (isFailure(error) ? fail(context) : refund(context)),
        onSuccess:
          failedResult === undefined
            ? succeed
            : (context, result) => (isFailedResult(result) ? fail(context) : succeed(context)),
        onRefused: refund,
        // Statuses alone say what happened unless `countOn` names codes or exception classes, or
        // a returned value may be a failure.
        ...(statuses.length === countOn.length && failedResult === undefined
          ? {
              onStatus: (context: CaptchaContext, status: number) =>
                statuses.includes(status)
                  ? fail(context)
                  : status < 400
                    ? succeed(context)
                    : refund(context),
            }
          : {}),
      },
    },
  );
}

function checkFailedResult(failedResult: unknown): ((result: unknown) => boolean) | undefined {
  if (failedResult === undefined || typeof failedResult === 'function') {
    return failedResult as ((result: unknown) => boolean) | undefined;
  }
  throw new TypeError(
    `failedAttempts: failedResult must be a function (result) => boolean, got ${describeValue(failedResult)}`,
  );
}

/**
 * `resetOn`, checked: `'success'` is refused for a subject that is only the client's address,
 * where a success proves nothing about the attempts counted (they were at other accounts).
 */
function checkResetOn(resetOn: unknown, per: CaptchaSubject): FailedAttemptsResetOn {
  if (!RESET_ON.includes(resetOn as FailedAttemptsResetOn)) {
    throw new TypeError(
      `failedAttempts: resetOn ${JSON.stringify(resetOn)} is not one of ${RESET_ON.map((v) => `'${v}'`).join(', ')}`,
    );
  }
  if (
    resetOn === 'success' &&
    typeof per === 'string' &&
    per.split('+').every((part) => part.trim() === 'ip')
  ) {
    throw new TypeError(
      `failedAttempts: resetOn 'success' cannot be used with per ${JSON.stringify(per)}: a successful sign-in to the attacker's own account would clear the count of their guesses at everyone else's. Use resetOn 'verified' (the default) or a per that names the account, e.g. 'ip+body.email'`,
    );
  }
  return resetOn as FailedAttemptsResetOn;
}

function ignore(): void {}
