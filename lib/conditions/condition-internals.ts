import type { CaptchaCondition, CaptchaContext } from './captcha-condition';

/** Children of a combinator, so tools (the outcome interceptor, explain) can walk the tree. */
export const CONDITION_CHILDREN = Symbol('nestjs-captcha:condition-children');
/** Hooks a condition wants called with the handler's outcome (`failedAttempts`). */
export const CONDITION_OUTCOME = Symbol('nestjs-captcha:condition-outcome');
/** Says which condition fired, for combinators that know better than their own name. */
export const CONDITION_EXPLAIN = Symbol('nestjs-captcha:condition-explain');

/** What a condition does with the handler's outcome. */
export interface ConditionOutcomeHooks {
  /** The handler threw `error`. */
  onError(context: CaptchaContext, error: unknown): Promise<void>;
  /** The handler succeeded. */
  onSuccess(context: CaptchaContext): Promise<void>;
}

/** A condition with the optional internals the library's own factories attach. */
export interface ConditionInternals extends CaptchaCondition {
  [CONDITION_CHILDREN]?: readonly CaptchaCondition[];
  [CONDITION_OUTCOME]?: ConditionOutcomeHooks;
  [CONDITION_EXPLAIN]?: (context: CaptchaContext) => Promise<string | undefined>;
}

/** Gives a condition function its stable name (and any internals). */
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
 * that fired. `undefined` when it did not fire.
 */
export async function explainCondition(
  condition: CaptchaCondition,
  context: CaptchaContext,
): Promise<string | undefined> {
  const explain = (condition as ConditionInternals)[CONDITION_EXPLAIN];
  if (explain) return explain(context);
  return (await condition(context)) ? conditionNameOf(condition) : undefined;
}

/** A condition's stable name; `custom` for plain functions. */
export function conditionNameOf(condition: CaptchaCondition): string {
  return condition.conditionName ?? 'custom';
}

/** Every outcome hook in a condition tree. */
export function collectOutcomeHooks(condition: CaptchaCondition): ConditionOutcomeHooks[] {
  const internals = condition as ConditionInternals;
  const own = internals[CONDITION_OUTCOME] ? [internals[CONDITION_OUTCOME]] : [];
  return [...own, ...(internals[CONDITION_CHILDREN] ?? []).flatMap(collectOutcomeHooks)];
}
