import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import type { CaptchaContext } from '../conditions/captcha-condition';
import { ClientIpResolver, type ClientIp } from '../http/client-ip-resolver';
import { CaptchaStore } from '../stores/captcha-store.interface';
import { captchaInputOf } from '../transports/captcha-transport';
import { wsPeerAddressOf } from '../transports/ws-client';

/** A message handler's caller is a service, not the end user: there is no client IP to read. */
const NO_CLIENT_IP: ClientIp = { ip: undefined, source: 'socket' };

/** Builds the {@link CaptchaContext} conditions are evaluated with. @public */
@Injectable()
export class CaptchaContextFactory {
  constructor(
    private readonly clientIpResolver: ClientIpResolver,
    @Inject(CaptchaStore) private readonly store: CaptchaStore,
  ) {}

  create(
    executionContext: ExecutionContext,
    request: unknown,
    action: string | undefined,
  ): CaptchaContext {
    const type = executionContext.getType();
    const { ip, source } =
      type === 'http'
        ? this.clientIpResolver.resolve(request)
        : this.clientIpOffHttp(type, request);
    return new RequestCaptchaContext(
      executionContext,
      request,
      ip,
      source,
      action,
      this.store,
      this.clientIpResolver,
    );
  }

  /**
   * A resolver's HTTP request is resolved as a controller's. A gateway's client by its upgrade
   * request (`trustProxy` applied), else by its connection's peer unless that is a trusted
   * proxy. A message handler's (`rpc`) caller is the calling service: no client IP, whatever the
   * payload says.
   */
  private clientIpOffHttp(type: string, request: unknown): ClientIp {
    if (type === 'rpc') return NO_CLIENT_IP;
    if (type === 'ws' && !(request instanceof IncomingMessage)) {
      return this.clientIpResolver.resolvePeer(wsPeerAddressOf(request));
    }
    return this.clientIpResolver.resolve(request);
  }
}

/**
 * One request's context. The request id is made on first read: only a logged decision needs it,
 * and a calm request (no challenge due) logs nothing. The client network likewise: only per-IP
 * counters need it.
 */
class RequestCaptchaContext implements CaptchaContext {
  private id: string | undefined;
  private network: string | undefined;
  verified = false;
  readonly input: unknown;

  constructor(
    readonly executionContext: ExecutionContext,
    readonly request: unknown,
    readonly clientIp: string | undefined,
    readonly clientIpSource: ClientIp['source'],
    readonly action: string | undefined,
    readonly store: CaptchaStore,
    private readonly clientIpResolver: ClientIpResolver,
  ) {
    this.input = captchaInputOf(executionContext);
  }

  get clientNetwork(): string | undefined {
    this.network ??= this.clientIpResolver.networkOf(this.clientIp);
    return this.network;
  }

  get requestId(): string {
    this.id ??= requestIdOf(this.request);
    return this.id;
  }
}

/** A sane incoming `x-request-id` (so logs join up with the proxy's), else a new one. */
function requestIdOf(request: unknown): string {
  const header = (request as { headers?: Record<string, unknown> })?.headers?.['x-request-id'];
  return typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
}
