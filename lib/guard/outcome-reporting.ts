import type { ExecutionContext, Logger } from '@nestjs/common';
import { ServerResponse } from 'node:http';
import type { CaptchaContext } from '../conditions/captcha-condition';
import { outcomeHooksOf, type ConditionOutcomeHooks } from '../conditions/condition-internals';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import { judgedByStatus, reportOutcome } from './report-outcome';

/**
 * Who tells the route's conditions (`failedAttempts`) how the handler ended: nobody (no outcome
 * hooks), the guard from the HTTP status, or {@link CaptchaOutcomeInterceptor}.
 *
 * @internal
 */
export type OutcomeReporting = 'none' | 'status' | 'interceptor';

const NO_HOOKS: readonly ConditionOutcomeHooks[] = [];

/**
 * The guard reports from the status when every hook can judge from it and no outcome interceptor
 * is on the route (CaptchaOutcomeRouting takes it off such HTTP routes), else the interceptor.
 *
 * @internal
 */
export function outcomeReportingOf(
  requirement: RequireCaptchaOptions,
  type: string,
  outcomeInterceptor: boolean,
): OutcomeReporting {
  const hooks = requirement.when ? outcomeHooksOf(requirement.when) : NO_HOOKS;
  if (hooks.length === 0) return 'none';
  return type === 'http' && judgedByStatus(hooks) && !outcomeInterceptor ? 'status' : 'interceptor';
}

/** The Node response behind an Express response or a Fastify reply (`raw`). */
function serverResponseOf(
  response: unknown,
): { statusCode: number; on(event: 'finish', listener: () => void): unknown } | undefined {
  if (response instanceof ServerResponse) return response;
  const raw = (response as { raw?: unknown } | undefined)?.raw ?? response;
  const candidate = raw as { statusCode?: unknown; on?: unknown } | undefined;
  return typeof candidate?.on === 'function' && typeof candidate.statusCode === 'number'
    ? (raw as ReturnType<typeof serverResponseOf>)
    : undefined;
}

/**
 * Once the HTTP response has been sent: with status reporting, tells the route's conditions its
 * status; with the interceptor on an HTTP route, gives back what a request the interceptor never
 * saw still holds (a guard or middleware after the checkpoint refused it; the hook does nothing
 * when the interceptor reported). A response that never finishes (the client went away) reports
 * nothing: a counted attempt then stays counted until its window closes, which fails safe.
 *
 * @internal
 */
export function reportOnFinish(
  context: ExecutionContext,
  requirement: RequireCaptchaOptions,
  captchaContext: CaptchaContext,
  reporting: 'status' | 'interceptor',
  logger: Logger,
): void {
  if (reporting === 'interceptor' && context.getType() !== 'http') return;
  const response = serverResponseOf(context.getArgByIndex(1));
  if (!response) return;
  const hooks = outcomeHooksOf(requirement.when!);
  // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-outcome-interceptor (`on`, not `once`: one `finish`).
  response.on(
    'finish',
    reporting === 'status'
      ? () => {
          const status = response.statusCode;
          void reportOutcome(hooks, (hook) => hook.onStatus?.(captchaContext, status), logger);
        }
      : () => void reportOutcome(hooks, (hook) => hook.onRefused(captchaContext), logger),
  );
}

/**
 * The checkpoint refused the request (the handler will not run): the route's conditions give
 * back what they counted for it (`failedAttempts` refunds the attempt), before the refusal is
 * answered, so the client's next request sees the count without it.
 *
 * @internal
 */
export async function reportRefused(
  requirement: RequireCaptchaOptions,
  captchaContext: CaptchaContext,
  error: unknown,
  logger: Logger,
): Promise<never> {
  const hooks = outcomeHooksOf(requirement.when!);
  await reportOutcome(hooks, (hook) => hook.onRefused(captchaContext), logger);
  throw error;
}
