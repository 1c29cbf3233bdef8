import type { Logger } from '@nestjs/common';
import type { ConditionOutcomeHooks } from '../conditions/condition-internals';

/**
 * Tells every outcome hook of a route how its handler ended; `undefined` when none had anything
 * to do (the usual case: a calm request that succeeded). Store trouble is logged and never
 * changes the response: the handler already ran.
 *
 * @internal
 */
export function reportOutcome(
  hooks: readonly ConditionOutcomeHooks[],
  call: (hooks: ConditionOutcomeHooks) => Promise<void> | undefined,
  logger: Logger,
): Promise<void> | undefined {
  let pending: Promise<void>[] | undefined;
  for (const hook of hooks) {
    const work = call(hook);
    if (work) (pending ??= []).push(work);
  }
  return pending && logFailures(pending, logger);
}

async function logFailures(pending: Promise<void>[], logger: Logger): Promise<void> {
  const outcomes = await Promise.allSettled(pending);
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      // Per request, so at debug: the outage log says that the store is down (error).
      logger.debug({
        event: 'captcha.store_unavailable',
        during: 'outcome',
        cause: (outcome.reason as Error)?.message,
      });
    }
  }
}

/** Whether every hook can judge an outcome from the HTTP status alone. @internal */
export function judgedByStatus(hooks: readonly ConditionOutcomeHooks[]): boolean {
  return hooks.length > 0 && hooks.every((hook) => hook.onStatus !== undefined);
}
