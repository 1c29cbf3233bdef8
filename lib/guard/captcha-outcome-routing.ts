import { Injectable } from '@nestjs/common';
import { outcomeHooksOf } from '../conditions/condition-internals';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import { CaptchaRouteScan, type CaptchaScannedClass } from './captcha-route-scan';
import { takeOutcomeInterceptorOff } from './outcome-interceptor-metadata';
import { judgedByStatus } from './report-outcome';

/** Nest's `@Get()`/`@Post()`… path key (`@nestjs/common/constants`): an HTTP route handler. */
const ROUTE_PATH_METADATA = 'path';
/** `@MessagePattern` / `@EventPattern` (`@nestjs/microservices`): a handler that is not HTTP. */
const PATTERN_METADATA = 'microservices:pattern';

/**
 * Takes {@link CaptchaOutcomeInterceptor} off HTTP routes whose outcome the status says
 * (`failedAttempts` counting statuses, the default): there the guard reports the outcome from the
 * response's `finish` event instead. GraphQL resolvers, gateways and routes counting exception
 * classes keep the interceptor. Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-outcome-interceptor
 *
 * Runs in its constructor: providers are created before Nest builds the HTTP routes, and routes
 * read their interceptors when they are built.
 *
 * @internal
 */
@Injectable()
export class CaptchaOutcomeRouting {
  constructor(scan: CaptchaRouteScan) {
    for (const controller of scan.controllers) routeOutcomesToGuard(controller);
  }
}

const statusSays = (requirement: RequireCaptchaOptions | undefined): boolean =>
  requirement?.when !== undefined && judgedByStatus(outcomeHooksOf(requirement.when));

/** The guard reports the outcome of a controller's HTTP routes whose status says it. @internal */
export function routeOutcomesToGuard({ type, requirement, handlers }: CaptchaScannedClass): void {
  for (const { handler, own } of handlers) {
    if (Reflect.hasMetadata(ROUTE_PATH_METADATA, handler) && statusSays(own)) {
      takeOutcomeInterceptorOff(handler);
    }
  }
  const everyHandlerHttp = handlers.every(
    ({ handler }) => !Reflect.hasMetadata(PATTERN_METADATA, handler),
  );
  if (everyHandlerHttp && statusSays(requirement)) takeOutcomeInterceptorOff(type);
}
