import proxyAddr from 'proxy-addr';
import type { IncomingMessage } from 'node:http';

/** The client IP and where it was read from. */
export interface ClientIp {
  ip: string | undefined;
  source: 'socket' | 'x-forwarded-for';
}

/**
 * Resolves the client IP with `proxy-addr`: the socket address unless the hop is a trusted proxy,
 * then `X-Forwarded-For` from the right, stopping at the first untrusted address. Never trusts a
 * header the operator did not opt into.
 */
export class ClientIpResolver {
  private readonly trust: (address: string, hop: number) => boolean;

  constructor(trustProxy: boolean | number | string | string[]) {
    if (trustProxy === true) this.trust = () => true;
    else if (trustProxy === false) this.trust = () => false;
    else if (typeof trustProxy === 'number') this.trust = (_address, hop) => hop < trustProxy;
    else
      this.trust = proxyAddr.compile(
        typeof trustProxy === 'string' ? trustProxy.split(',').map((s) => s.trim()) : trustProxy,
      );
  }

  /** Reads the IP of an Express or Fastify request. */
  resolve(request: unknown): ClientIp {
    const raw = ((request as { raw?: IncomingMessage }).raw ?? request) as IncomingMessage;
    if (!raw?.socket || !raw.headers) return { ip: undefined, source: 'socket' };
    const socketIp = raw.socket.remoteAddress;
    if (socketIp === undefined) return { ip: undefined, source: 'socket' };
    const ip = proxyAddr(raw, this.trust);
    return { ip: normalizeIp(ip), source: ip === socketIp ? 'socket' : 'x-forwarded-for' };
  }
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) reads as `1.2.3.4`. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
