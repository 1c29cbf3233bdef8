import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner, Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { captchaRouteDecorators } from '../decorators/captcha-route-decorators';
import { handlerKindOf } from './captcha-transport';
import { recordUpgradeRequest } from './ws-client';

/**
 * Records the upgrade request of every WebSocket connection of the app's HTTP server, so the
 * guard can read a `@RequireCaptcha` gateway client's IP (`trustProxy` applied) and headers. It
 * listens only when such a gateway exists and the server already has an `upgrade` listener (the
 * WebSocket adapter's): a listener of ours alone would keep Node from closing upgrade requests
 * nobody handles. It never touches the socket.
 */
@Injectable()
export class WsUpgradeRequests implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('CaptchaGuard');
  private server: NodeJS.EventEmitter | undefined;
  private readonly record = (request: IncomingMessage): void => recordUpgradeRequest(request);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.hasGuardedGateway()) return;
    // No HTTP server in a microservice-only app.
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.() as unknown;
    const emitter = server as Partial<NodeJS.EventEmitter> | undefined;
    if (typeof emitter?.on !== 'function' || typeof emitter.listenerCount !== 'function') return;
    if (emitter.listenerCount('upgrade') === 0) {
      this.logger.debug(
        'No WebSocket adapter listens on the HTTP server: gateway clients are identified by their peer address',
      );
      return;
    }
    emitter.on('upgrade', this.record);
    this.server = emitter as NodeJS.EventEmitter;
  }

  onModuleDestroy(): void {
    this.server?.removeListener('upgrade', this.record);
    this.server = undefined;
  }

  /** Whether a gateway handler (`@SubscribeMessage`) carries `@RequireCaptcha`. */
  private hasGuardedGateway(): boolean {
    for (const { instance, metatype } of this.discovery.getProviders()) {
      if (!instance || !metatype || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function' || handlerKindOf(handler)?.transport !== 'ws') continue;
        const { requirement } = captchaRouteDecorators(
          this.reflector,
          handler as () => void,
          metatype as () => void,
        );
        if (requirement) return true;
      }
    }
    return false;
  }
}
