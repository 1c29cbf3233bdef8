import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import { captchaRouteDecorators } from '../decorators/captcha-route-decorators';
import { readsCaptchaResult } from './captcha-request-state';
import { hasOutcomeInterceptor } from './outcome-interceptor-metadata';
import { outcomeReportingOf, type OutcomeReporting } from './outcome-reporting';

/** What the guard keeps of a route's metadata. @internal */
export interface RouteMetadata {
  requirement: RequireCaptchaOptions | undefined;
  skipped: boolean;
  /** {@link CaptchaOutcomeInterceptor} is on the handler or its class. */
  outcomeInterceptor: boolean;
  /** The handler may read the result (`@CaptchaResult()`), so it is kept on the request. */
  readsResult: boolean;
  /** Who reports the outcome, once known (per context type). */
  reporting?: { type: string; mode: OutcomeReporting };
}

/**
 * A route's metadata, read with the reflector on first use and kept per class, then handler (one
 * handler may serve several subclasses): metadata does not change once the app runs.
 *
 * @internal
 */
export class RouteMetadataCache {
  private readonly routes = new WeakMap<object, WeakMap<object, RouteMetadata>>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): RouteMetadata {
    const handler = context.getHandler() as object | undefined;
    const type = context.getClass() as object | undefined;
    const cached = handler && type ? this.routes.get(type)?.get(handler) : undefined;
    if (cached) return cached;
    const targets = [handler, type].filter(Boolean) as (() => void)[];
    // The nearer decorator wins, either way: a handler's @RequireCaptcha over its class's
    // @SkipCaptcha (a class-level skip must not silently disable it), and the reverse.
    const decorators = captchaRouteDecorators(
      this.reflector,
      handler as (() => void) | undefined,
      type as (() => void) | undefined,
    );
    const route: RouteMetadata = {
      requirement: decorators.requirement,
      skipped: decorators.skipped,
      outcomeInterceptor: targets.some(hasOutcomeInterceptor),
      readsResult: handler && type ? readsCaptchaResult(type, handler as () => void) : true,
    };
    if (handler && type) {
      let byHandler = this.routes.get(type);
      if (!byHandler) this.routes.set(type, (byHandler = new WeakMap()));
      byHandler.set(handler, route);
    }
    return route;
  }

  /** Who reports the handler's outcome; the route's own requirement's answer is kept per type. */
  reporting(context: ExecutionContext, requirement: RequireCaptchaOptions): OutcomeReporting {
    const route = this.of(context);
    const type = context.getType();
    if (route.requirement === requirement && route.reporting?.type === type) {
      return route.reporting.mode;
    }
    const mode = outcomeReportingOf(requirement, type, route.outcomeInterceptor);
    if (route.requirement === requirement) route.reporting = { type, mode };
    return mode;
  }
}
