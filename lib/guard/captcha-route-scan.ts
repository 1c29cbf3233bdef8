import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { CaptchaRequirement, type RequireCaptchaOptions } from '../decorators/captcha-requirement';
import {
  captchaRouteDecorators,
  type CaptchaRouteDecorators,
} from '../decorators/captcha-route-decorators';
import { handlerKindOf, type CaptchaHandlerKind } from '../transports/captcha-transport';

/** One handler of a controller or provider, as the CAPTCHA decorators see it. @internal */
export interface CaptchaScannedHandler {
  /** `Class.method`, as start-up messages name it. */
  route: string;
  handler: () => void;
  /** What `@RequireCaptcha` and `@SkipCaptcha` say about it (the nearer decorator wins). */
  decorators: CaptchaRouteDecorators;
  /** The handler's own `@RequireCaptcha` options, not its class's. */
  own: RequireCaptchaOptions | undefined;
  /** Its transport, from its decorators (`undefined` for a plain method). */
  kind: CaptchaHandlerKind | undefined;
}

/** A controller or provider class and its handlers. @internal */
export interface CaptchaScannedClass {
  type: Type;
  controller: boolean;
  /** The class's own `@RequireCaptcha` options. */
  requirement: RequireCaptchaOptions | undefined;
  handlers: readonly CaptchaScannedHandler[];
}

/**
 * The app's handlers as the CAPTCHA decorators see them, listed once for the start-up checks
 * (CaptchaRouteCheck), the outcome routing (CaptchaOutcomeRouting) and the gateway upgrade
 * listener (WsUpgradeRequests).
 *
 * Controllers are scanned when this is constructed: the outcome routing must edit them before
 * Nest builds the HTTP routes. Providers (gateways, resolvers, message handlers) on first use of
 * {@link all}, from `onApplicationBootstrap`: a provider made by a factory exists only then.
 *
 * @internal
 */
@Injectable()
export class CaptchaRouteScan {
  readonly controllers: readonly CaptchaScannedClass[];
  private everything: readonly CaptchaScannedClass[] | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {
    this.controllers = this.scan(discovery.getControllers(), true);
  }

  /** Controllers, then providers. */
  all(): readonly CaptchaScannedClass[] {
    this.everything ??= [...this.controllers, ...this.scan(this.discovery.getProviders(), false)];
    return this.everything;
  }

  private scan(wrappers: InstanceWrapper[], controller: boolean): CaptchaScannedClass[] {
    const classes: CaptchaScannedClass[] = [];
    for (const { instance, metatype } of wrappers) {
      if (!instance || !metatype || typeof instance !== 'object') continue;
      // A factory provider's metatype is its factory: its handlers are on the instance's prototype.
      const prototype = Object.getPrototypeOf(instance) as Record<string, () => void>;
      const type = metatype as Type;
      classes.push({
        type,
        controller,
        requirement: this.reflector.get(CaptchaRequirement, type),
        handlers: this.scanner.getAllMethodNames(prototype).map((method) => {
          const handler = prototype[method];
          return {
            route: `${type.name}.${method}`,
            handler,
            decorators: captchaRouteDecorators(
              this.reflector,
              handler,
              type as object as () => void,
            ),
            own: this.reflector.get(CaptchaRequirement, handler),
            kind: handlerKindOf(handler),
          };
        }),
      });
    }
    return classes;
  }
}
