import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, concatMap, from, map, Observable, throwError } from 'rxjs';
import { outcomeHooksOf, type ConditionOutcomeHooks } from '../conditions/condition-internals';
import { CaptchaRequirement } from '../decorators/captcha-requirement';
import { captchaStateCarrierOf } from '../transports/captcha-transport';
import { getCaptchaContext } from './captcha-request-state';
import { reportOutcome } from './report-outcome';

/**
 * Tells the route's conditions how the handler ended, so `failedAttempts` counts failures and
 * resets on success. Installed by `@RequireCaptcha` where `when` counts outcomes; on HTTP routes
 * whose hooks can judge from the status, {@link CaptchaOutcomeRouting} takes it off again at
 * start-up and the guard reports from the response instead (Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-outcome-interceptor).
 * Store trouble here is logged and never changes
 * the response: the handler already ran.
 *
 * @public
 */
@Injectable()
export class CaptchaOutcomeInterceptor implements NestInterceptor {
  private readonly logger = new Logger('CaptchaGuard');

  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const when = this.reflector.getAllAndOverride(CaptchaRequirement, [
      context.getHandler(),
      context.getClass(),
    ])?.when;
    const hooks = when ? outcomeHooksOf(when) : [];
    // The guard leaves its context only when the checkpoint ran (not skipped).
    const captchaContext =
      hooks.length > 0 ? getCaptchaContext(captchaStateCarrierOf(context)) : undefined;
    if (!captchaContext) return next.handle();

    let settled = false;
    const report = (call: (hooks: ConditionOutcomeHooks) => Promise<void> | undefined) => {
      if (settled) return Promise.resolve();
      settled = true;
      return reportOutcome(hooks, call, this.logger) ?? Promise.resolve();
    };
    return next.handle().pipe(
      concatMap((value) =>
        from(report((h) => h.onSuccess(captchaContext, value))).pipe(map(() => value)),
      ),
      catchError((error: unknown) =>
        from(report((h) => h.onError(captchaContext, error))).pipe(
          concatMap(() => throwError(() => error)),
        ),
      ),
    );
  }
}
