import type { CaptchaCondition } from './captcha-condition';
import {
  CONDITION_CHILDREN,
  CONDITION_EXPLAIN,
  conditionNameOf,
  defineCondition,
  explainCondition,
} from './condition-internals';

/**
 * Challenge when any of the conditions does (evaluated in order, stopping at the first that
 * fires). Logs and metrics name the one that fired.
 *
 * @example
 * ```ts
 * when: anyOf(failedAttempts({ threshold: 3, window: '15m' }), requestRate({ max: 20, window: '1m' }))
 * ```
 *
 * @public
 */
export function anyOf(...conditions: CaptchaCondition[]): CaptchaCondition {
  const explain = async (context: Parameters<CaptchaCondition>[0]) => {
    for (const condition of conditions) {
      const fired = await explainCondition(condition, context);
      if (fired) return fired;
    }
    return undefined;
  };
  return defineCondition(
    `anyOf(${conditions.map(conditionNameOf).join(',')})`,
    async (context) => (await explain(context)) !== undefined,
    {
      [CONDITION_CHILDREN]: conditions,
      [CONDITION_EXPLAIN]: explain,
    },
  );
}

/**
 * Challenge only when every condition does (evaluated in order, stopping at the first that does
 * not), e.g. a suspicious client that also comes from a listed network.
 *
 * @public
 */
export function allOf(...conditions: CaptchaCondition[]): CaptchaCondition {
  return defineCondition(
    `allOf(${conditions.map(conditionNameOf).join(',')})`,
    async (context) => {
      for (const condition of conditions) if (!(await condition(context))) return false;
      return conditions.length > 0;
    },
    { [CONDITION_CHILDREN]: conditions },
  );
}

/**
 * Challenge when the condition does not fire, e.g. `not(ipIn(officeNetworks))`.
 *
 * @public
 */
export function not(condition: CaptchaCondition): CaptchaCondition {
  return defineCondition(
    `not(${conditionNameOf(condition)})`,
    async (context) => !(await condition(context)),
    {
      [CONDITION_CHILDREN]: [condition],
    },
  );
}
