import type { Reflector } from '@nestjs/core';
import { handlerKindOf } from '../transports/captcha-transport';
import { CaptchaRequirement, type RequireCaptchaOptions } from './captcha-requirement';
import { SkipCaptcha } from './skip-captcha.decorator';

/** A class-level and a handler-level decorator that disagree, and which one won. @internal */
export type CaptchaDecoratorOverride =
  /** `@SkipCaptcha()` on the class, `@RequireCaptcha()` on the handler: the route demands a CAPTCHA. */
  | 'handler-requires'
  /** `@RequireCaptcha()` on the class, `@SkipCaptcha()` on the handler: the route is exempt. */
  | 'handler-skips';

/** What the CAPTCHA decorators say about one route. @internal */
export interface CaptchaRouteDecorators {
  /** The route's `@RequireCaptcha` options, the handler's over the class's. */
  requirement?: RequireCaptchaOptions;
  /** The route is exempt (`@SkipCaptcha()`), by the nearer-decorator rule. */
  skipped: boolean;
  /** A class-level decorator overridden by a handler-level one of the other kind. */
  override?: CaptchaDecoratorOverride;
  /**
   * Both decorators on one target (`'handler'` or `'class'`): contradictory, refused at start-up.
   * Should a request reach such a route anyway, it is not skipped (fail closed).
   */
  bothOn?: 'handler' | 'class';
}

/**
 * Reads `@RequireCaptcha()` and `@SkipCaptcha()` of a route. The nearer decorator wins: a
 * handler's decorator over its class's, either way (a handler's `@RequireCaptcha` beats the
 * class's `@SkipCaptcha`, a handler's `@SkipCaptcha` beats the class's `@RequireCaptcha`). One
 * rule for the guard and the start-up route check.
 *
 * A resolver class's decorators do not reach its GraphQL field resolvers (`@ResolveField`,
 * `@ResolveReference`): a class-level `@RequireCaptcha` protects the class's queries and
 * mutations, and a field resolved under one of them must not spend (and then fail as
 * `duplicate`) the token its parent verified. A field is protected by its own `@RequireCaptcha`.
 *
 * @internal
 */
export function captchaRouteDecorators(
  reflector: Reflector,
  handler: (() => void) | undefined,
  type: (() => void) | undefined,
): CaptchaRouteDecorators {
  const handlerRequires = handler ? reflector.get(CaptchaRequirement, handler) : undefined;
  const handlerSkips = handler ? reflector.get(SkipCaptcha, handler) === true : false;
  const classApplies = type !== undefined && !isFieldResolver(handler);
  const classRequires = classApplies ? reflector.get(CaptchaRequirement, type) : undefined;
  const classSkips = classApplies ? reflector.get(SkipCaptcha, type) === true : false;
  const requirement = handlerRequires ?? classRequires;
  if (handlerSkips && handlerRequires) return { requirement, skipped: false, bothOn: 'handler' };
  if (handlerSkips) {
    return { requirement, skipped: true, override: classRequires ? 'handler-skips' : undefined };
  }
  if (handlerRequires) {
    return { requirement, skipped: false, override: classSkips ? 'handler-requires' : undefined };
  }
  if (classSkips && classRequires) return { requirement, skipped: false, bothOn: 'class' };
  return { requirement, skipped: classSkips };
}

function isFieldResolver(handler: (() => void) | undefined): boolean {
  const kind = handler ? handlerKindOf(handler) : undefined;
  return kind?.transport === 'graphql' && kind.field;
}
