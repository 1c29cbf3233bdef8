import type { CaptchaCondition, CaptchaContext } from './captcha-condition';
import type { CaptchaSubjectSource } from './subject-key';

/**
 * Children of a combinator, so tools (the outcome interceptor, explain) can walk the tree.
 *
 * @internal
 */
export const CONDITION_CHILDREN = Symbol('nestjs-captcha:condition-children');
/**
 * Hooks a condition wants called with the handler's outcome (`failedAttempts`).
 *
 * @internal
 */
export const CONDITION_OUTCOME = Symbol('nestjs-captcha:condition-outcome');
/**
 * What a condition reads of a request (`'ip'`, `'body'`, `'args'`…), for start-up checks per transport.
 *
 * @internal
 */
export const CONDITION_SOURCES = Symbol('nestjs-captcha:condition-sources');
/**
 * Says which condition fired, for combinators that know better than their own name.
 *
 * @internal
 */
export const CONDITION_EXPLAIN = Symbol('nestjs-captcha:condition-explain');

/**
 * What a condition does with the handler's outcome. A hook with nothing to do returns
 * `undefined` rather than a resolved promise: most requests end that way.
 * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#synchronous-memory-store
 *
 * @internal
 */
export interface ConditionOutcomeHooks {
  /** The handler threw `error`. */
  onError(context: CaptchaContext, error: unknown): Promise<void> | undefined;
  /**
   * The handler succeeded with `result` (its return value, when the outcome interceptor reports;
   * `failedAttempts` may judge it a failure with `failedResult`).
   */
  onSuccess(context: CaptchaContext, result?: unknown): Promise<void> | undefined;
  /**
   * The HTTP response went out with `status`. Present when the status alone says what the
   * outcome was (`failedAttempts` counting statuses, not exception classes): the guard then
   * reports it from the response's `finish` event, and HTTP routes need no interceptor.
   */
  onStatus?(context: CaptchaContext, status: number): Promise<void> | undefined;
  /**
   * The checkpoint itself refused the request (a challenge demanded or failed, an outage or store
   * answer): the handler never ran. Called by the guard on every route with hooks, whoever
   * reports the handler's outcome.
   */
  onRefused(context: CaptchaContext): Promise<void> | undefined;
}

/**
 * A condition with the optional internals the library's own factories attach.
 *
 * @internal
 */
export interface ConditionInternals extends CaptchaCondition {
  [CONDITION_CHILDREN]?: readonly CaptchaCondition[];
  [CONDITION_OUTCOME]?: ConditionOutcomeHooks;
  [CONDITION_SOURCES]?: readonly CaptchaSubjectSource[];
  [CONDITION_EXPLAIN]?: (context: CaptchaContext) => Promise<string | undefined>;
}

/**
 * Gives a condition function its stable name (and any internals).
 *
 * @internal
 */
export function defineCondition(
  name: string,
  test: (context: CaptchaContext) => boolean | Promise<boolean>,
  internals: Omit<ConditionInternals, keyof CaptchaCondition | 'conditionName'> = {},
): CaptchaCondition {
  const condition = ((context: CaptchaContext) => test(context)) as ConditionInternals;
  Object.defineProperty(condition, 'conditionName', { value: name, enumerable: true });
  return Object.assign(condition, internals);
}

/**
 * Evaluates a condition and names what fired: the condition's own name, or for `anyOf` the child
 * that fired. `undefined` when it did not fire. Synchronous when the condition is (a calm request
 * on the memory store is decided without a promise).
 *
 * @internal
 */
export function explainCondition(
  condition: CaptchaCondition,
  context: CaptchaContext,
): string | undefined | Promise<string | undefined> {
  const explain = (condition as ConditionInternals)[CONDITION_EXPLAIN];
  if (explain) return explain(context);
  const fired = condition(context);
  if (typeof (fired as Partial<PromiseLike<boolean>>)?.then === 'function') {
    return Promise.resolve(fired).then((yes) => (yes ? conditionNameOf(condition) : undefined));
  }
  return fired ? conditionNameOf(condition) : undefined;
}

/**
 * A condition's stable name; `custom` for plain functions.
 *
 * @internal
 */
export function conditionNameOf(condition: CaptchaCondition): string {
  return condition.conditionName ?? 'custom';
}

const hooksByCondition = new WeakMap<CaptchaCondition, readonly ConditionOutcomeHooks[]>();

/**
 * {@link collectOutcomeHooks}, walked once per condition tree (routes ask on every request).
 *
 * @internal
 */
export function outcomeHooksOf(condition: CaptchaCondition): readonly ConditionOutcomeHooks[] {
  let hooks = hooksByCondition.get(condition);
  if (!hooks) hooksByCondition.set(condition, (hooks = collectOutcomeHooks(condition)));
  return hooks;
}

/**
 * Every outcome hook in a condition tree.
 *
 * @internal
 */
export function collectOutcomeHooks(condition: CaptchaCondition): ConditionOutcomeHooks[] {
  const internals = condition as ConditionInternals;
  const own = internals[CONDITION_OUTCOME] ? [internals[CONDITION_OUTCOME]] : [];
  return [...own, ...(internals[CONDITION_CHILDREN] ?? []).flatMap(collectOutcomeHooks)];
}

/**
 * Every source a condition tree reads; `'custom'` for a function the library cannot see into (a
 * plain condition, a `per` function).
 *
 * @internal
 */
export function conditionSourcesOf(condition: CaptchaCondition): CaptchaSubjectSource[] {
  const internals = condition as ConditionInternals;
  const children = internals[CONDITION_CHILDREN];
  const own = internals[CONDITION_SOURCES] ?? (children ? [] : ['custom' as const]);
  return [...new Set([...own, ...(children ?? []).flatMap(conditionSourcesOf)])];
}
