import { hmacKeyRule } from './captcha-config-rules';
import {
  CLEARANCE_ACTIONS_ACCEPTED,
  MAX_ACTION_LENGTH,
  MAX_ACTIONS,
  ACTION,
  clearanceTtlRule,
  clearanceUsesRule,
} from './clearance-value-rules';
import { HIDDEN_VALUE, isPlainObject } from './config-problem';
import { hmacKeyWeakness } from './hmac-key-strength';
import type { RuleContext } from './rule-context';

const CLEARANCE_ACCEPTED =
  "{ ttlSeconds, uses?, key?, actions? }, e.g. { ttlSeconds: 600, uses: 5, key, actions: ['login', 'signup'] }";

/** Why one entry of `actions` is refused, if it is. */
function actionProblem(action: unknown): string | undefined {
  if (typeof action !== 'string') return 'holds a value that is not a string';
  if (action.length === 0 || action.length > MAX_ACTION_LENGTH || !ACTION.test(action)) {
    return `holds an invalid action name: ${JSON.stringify(action.slice(0, 80))}`;
  }
  return undefined;
}

/**
 * Checks `clearance`: its time-to-live (required once the group is set), uses, actions, and its
 * key: at least 32 characters; in production required and refused when weak (never quoted).
 * @internal
 */
export function checkClearance(value: unknown, ctx: RuleContext): void {
  if (value === undefined) return;
  if (!isPlainObject(value))
    return ctx.report('clearance', value, 'is not an object', CLEARANCE_ACCEPTED);
  const { ttlSeconds, uses, key, actions, ...rest } = value;
  for (const name of Object.keys(rest)) {
    ctx.report(
      `clearance.${name}`,
      rest[name],
      'is not a clearance option',
      'ttlSeconds, uses, key, actions',
    );
  }
  if (ttlSeconds === undefined) {
    const set = (['uses', 'key', 'actions'] as const)
      .filter((name) => value[name] !== undefined)
      .map((name) => ctx.source.name(`clearance.${name}`));
    const why =
      set.length > 0
        ? `${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set`
        : `${ctx.source.name('clearance')} is set`;
    ctx.missing(
      'clearance.ttlSeconds',
      `${why} (clearances are off without it)`,
      clearanceTtlRule.accepted,
    );
  }
  ctx.check('clearance.ttlSeconds', ttlSeconds, clearanceTtlRule);
  ctx.check('clearance.uses', uses, clearanceUsesRule);
  if (actions !== undefined) {
    const list = Array.isArray(actions) ? (actions as unknown[]) : undefined;
    const problem =
      list === undefined
        ? 'is not an array'
        : list.length === 0
          ? 'is empty'
          : list.length > MAX_ACTIONS
            ? `has more than ${MAX_ACTIONS} actions`
            : list.map(actionProblem).find((found) => found !== undefined);
    if (problem !== undefined)
      ctx.report('clearance.actions', actions, problem, CLEARANCE_ACTIONS_ACCEPTED);
  }
  if (key !== undefined) {
    const problem = typeof key === 'string' ? hmacKeyRule.problem(key) : 'is not a string';
    if (problem !== undefined)
      ctx.report('clearance.key', key, problem, hmacKeyRule.accepted, true);
  }
  const { production, source } = ctx;
  if (production === undefined) return;
  if (key === undefined) {
    return ctx.missing(
      'clearance.key',
      `clearances are on (${source.name('clearance.ttlSeconds')}) and production (${production}) needs a key every instance shares`,
      hmacKeyRule.accepted,
    );
  }
  const weakness = typeof key === 'string' ? hmacKeyWeakness(key) : undefined;
  if (weakness !== undefined) {
    ctx.problems.push(
      `${source.subject('clearance.key')}: ${HIDDEN_VALUE} is a weak key (${weakness}), ` +
        `refused in production (${production}); accepted: ${hmacKeyRule.accepted}`,
    );
  }
}
