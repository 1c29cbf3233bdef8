import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { outcomeHooksOf } from '../conditions/condition-internals';
import { CaptchaRequirement } from '../decorators/require-captcha.decorator';
import { CaptchaOutcomeInterceptor } from './captcha-outcome.interceptor';
import { judgedByStatus } from './report-outcome';

/** Nest's metadata keys (`@nestjs/common/constants`, stable since Nest 4; not a public export). */
const INTERCEPTORS_METADATA = '__interceptors__';
const ROUTE_PATH_METADATA = 'path';
/** `@MessagePattern` / `@EventPattern` (`@nestjs/microservices`): a handler that is not HTTP. */
const PATTERN_METADATA = 'microservices:pattern';

/**
 * Takes {@link CaptchaOutcomeInterceptor} off HTTP routes whose outcome the status says
 * (`failedAttempts` counting statuses, the default): there the guard reports the outcome from the
 * response's `finish` event instead, which spares every request Nest's interceptor machinery
 * (~90 µs, benchmarked). GraphQL resolvers, gateways and routes counting exception classes
 * keep the interceptor.
 *
 * Runs in its constructor: providers are created before Nest builds the HTTP routes, and routes
 * read their interceptors when they are built.
 */
@Injectable()
export class CaptchaOutcomeRouting {
  constructor(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector) {
    for (const { metatype } of discovery.getControllers()) {
      if (typeof metatype !== 'function') continue;
      moveToGuard(metatype as Type, scanner, reflector);
    }
  }
}

function moveToGuard(controller: Type, scanner: MetadataScanner, reflector: Reflector): void {
  const prototype = controller.prototype as Record<string, unknown>;
  const handlers = scanner
    .getAllMethodNames(prototype)
    .map((name) => prototype[name])
    .filter((handler): handler is object => typeof handler === 'function');
  const classLevel = reflector.get(CaptchaRequirement, controller);
  for (const handler of handlers) {
    if (!Reflect.hasMetadata(ROUTE_PATH_METADATA, handler)) continue;
    const own = reflector.get(CaptchaRequirement, handler as () => void);
    if (own?.when && judgedByStatus(outcomeHooksOf(own.when))) withoutOurs(handler);
  }
  const everyHandlerHttp = handlers.every(
    (handler) => !Reflect.hasMetadata(PATTERN_METADATA, handler),
  );
  if (classLevel?.when && everyHandlerHttp && judgedByStatus(outcomeHooksOf(classLevel.when))) {
    withoutOurs(controller);
  }
}

/** Whether {@link CaptchaOutcomeInterceptor} is on a handler or class (own or inherited, as Nest reads it). */
export function hasOutcomeInterceptor(target: object): boolean {
  const interceptors = Reflect.getMetadata(INTERCEPTORS_METADATA, target) as unknown[] | undefined;
  return Array.isArray(interceptors) && interceptors.includes(CaptchaOutcomeInterceptor);
}

/** Removes the interceptor from a handler's or class's own list (not one it inherits), in place: Nest reads it later. */
function withoutOurs(target: object): void {
  const interceptors = Reflect.getOwnMetadata(INTERCEPTORS_METADATA, target) as
    unknown[] | undefined;
  if (!Array.isArray(interceptors)) return;
  const at = interceptors.indexOf(CaptchaOutcomeInterceptor);
  if (at !== -1) interceptors.splice(at, 1);
}
