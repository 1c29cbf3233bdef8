import type { Logger } from '@nestjs/common';
import type { ConditionOutcomeHooks } from '../conditions/condition-internals';

/**
 * Tells every outcome hook of a route how its handler ended. Store trouble is logged and never
 * changes the response: the handler already ran.
 */
export async function reportOutcome(
  hooks: readonly ConditionOutcomeHooks[],
  call: (hooks: ConditionOutcomeHooks) => Promise<void> | undefined,
  logger: Logger,
): Promise<void> {
  const outcomes = await Promise.allSettled(hooks.map(call));
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      logger.warn({
        event: 'captcha.store_unavailable',
        during: 'outcome',
        cause: (outcome.reason as Error)?.message,
      });
    }
  }
}

/** Whether every hook can judge an outcome from the HTTP status alone. */
export function judgedByStatus(hooks: readonly ConditionOutcomeHooks[]): boolean {
  return hooks.length > 0 && hooks.every((hook) => hook.onStatus !== undefined);
}
