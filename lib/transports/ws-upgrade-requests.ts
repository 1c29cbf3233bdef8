import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { CaptchaRouteScan } from '../guard/captcha-route-scan';
import { recordUpgradeRequest } from './ws-client';

/**
 * Records the upgrade request of every WebSocket connection of the app's HTTP server, so the
 * guard can read a `@RequireCaptcha` gateway client's IP (`trustProxy` applied) and headers. It
 * listens only when such a gateway exists and the server already has an `upgrade` listener (the
 * WebSocket adapter's): a listener of ours alone would keep Node from closing upgrade requests
 * nobody handles. It never touches the socket.
 *
 * @internal
 */
@Injectable()
export class WsUpgradeRequests implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('CaptchaGuard');
  private server: NodeJS.EventEmitter | undefined;
  private readonly record = (request: IncomingMessage): void => recordUpgradeRequest(request);

  constructor(
    private readonly scan: CaptchaRouteScan,
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
    return this.scan
      .all()
      .some(
        ({ controller, handlers }) =>
          !controller &&
          handlers.some(
            ({ kind, decorators }) => kind?.transport === 'ws' && decorators.requirement,
          ),
      );
  }
}
