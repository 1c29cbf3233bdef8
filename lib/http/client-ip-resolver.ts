import { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import {
  forwardedEntries,
  ipv6Network,
  MALFORMED,
  normalizeSocketAddress,
  singleIp,
} from './ip-address-parsing';

/**
 * The single-address client-IP headers a CDN or proxy may set, one of which can be named in
 * `clientIpHeader` (`CAPTCHA_CLIENT_IP_HEADER`): Cloudflare's `CF-Connecting-IP`, nginx's
 * `X-Real-IP`, Cloudflare Enterprise / Akamai's `True-Client-IP`, Fastly's `Fastly-Client-IP`, and
 * `X-Client-IP`. None is read unless named.
 *
 * @public
 */
export const CLIENT_IP_HEADERS = [
  'cf-connecting-ip',
  'x-real-ip',
  'true-client-ip',
  'fastly-client-ip',
  'x-client-ip',
] as const;

/**
 * A header of {@link CLIENT_IP_HEADERS}, in lower case.
 *
 * @public
 */
export type ClientIpHeader = (typeof CLIENT_IP_HEADERS)[number];

/**
 * How a client-IP header may be named in options: lower case, or its usual spelling (header names
 * are case-insensitive, and other spellings are accepted at run time too).
 *
 * @public
 */
export type ClientIpHeaderName =
  | ClientIpHeader
  | 'CF-Connecting-IP'
  | 'X-Real-IP'
  | 'True-Client-IP'
  | 'Fastly-Client-IP'
  | 'X-Client-IP';

/**
 * The client IP and where it was read from.
 *
 * @public
 */
export interface ClientIp {
  /** A valid, normalized IP address, or `undefined` when the request carries no usable peer. */
  ip: string | undefined;
  /**
   * The header the IP was read from: the configured client-IP header, `'x-forwarded-for'`, or
   * `'socket'` when no header was used (including every fallback).
   */
  source: 'socket' | 'x-forwarded-for' | ClientIpHeader;
}

/**
 * Settings of {@link ClientIpResolver} beyond `trustProxy`.
 *
 * @public
 */
export interface ClientIpResolverOptions {
  /**
   * A CDN / proxy header holding the client IP, read (before `X-Forwarded-For`) only when the
   * socket peer is trusted. Case-insensitive. Default: none.
   */
  header?: ClientIpHeaderName;
  /**
   * IPv6 addresses are grouped into networks of this prefix length for per-IP counters
   * ({@link ClientIpResolver.networkOf}); 128 turns grouping off. Default `64`.
   */
  ipv6Prefix?: number;
}

/**
 * The default IPv6 grouping: one /64 is one subscriber line or one host's privacy addresses.
 *
 * @public
 */
export const DEFAULT_IPV6_PREFIX = 64;
/** IPv6 networks memoized per resolver at most; past it the memo starts over. */
const MAX_NETWORKS = 10_000;

type TrustFunction = (address: string, hop: number) => boolean;

/**
 * Resolves the client IP of an Express request, a Fastify request (its `raw` message) or a bare
 * Node `IncomingMessage`, under the module's `trustProxy` setting.
 *
 * **Trust.** Hop 0 is the socket peer; hop _n_ is the _n_-th `X-Forwarded-For` entry counted from
 * the right. `trustProxy` decides which hops are proxies, exactly as Express's `trust proxy`:
 * `false` trusts none (the socket address is the client), `true` trusts every hop, a number _n_
 * trusts the _n_ hops nearest the server (hops 0 … _n_-1), and addresses / CIDR ranges /
 * `loopback` / `linklocal` / `uniquelocal` (a list, or a comma-separated string) trust the hops
 * whose address matches (compiled with `proxy-addr`).
 *
 * **Order.** When the socket peer is trusted:
 * 1. the header named in `options.header` (e.g. `CF-Connecting-IP`), if one is configured and
 *    holds exactly one valid IP;
 * 2. otherwise `X-Forwarded-For`, walked from the right as `proxy-addr` does: while the current
 *    hop is trusted, step to the next entry to its left; the first untrusted hop is the client.
 *
 * When the socket peer is not trusted, no header is read and the socket address is the client.
 * Vendor headers (`CF-Connecting-IP`, `X-Real-IP`, `True-Client-IP`, …) are never read unless
 * configured: any client can send them, and a proxy that does not strip them hands the client
 * its choice of IP. `Forwarded` (RFC 7239) is not read.
 *
 * **Malformed values never become the client IP.** An `X-Forwarded-For` entry that is empty,
 * `unknown`, an obfuscated identifier, garbage, longer than 64 characters, or an IPv6 address
 * with a zone id (`%eth0`, meaningless off the host that wrote it) ends the walk: the result is
 * the nearest valid hop to its right (ultimately the socket address), with `source: 'socket'`
 * when that is the socket. At most 20 entries (and the last ~1.3 kB of the header) are examined;
 * past that the walk ends the same way, so a huge header costs nothing. Several
 * `X-Forwarded-For` header lines are one list, in order (RFC 9110 §5.3; Node joins them, and
 * HAProxy's `option forwardfor` relies on it). A configured client-IP header sent more than once
 * holds more than one IP and is ignored.
 *
 * **Accepted forms** (headers): an IPv4 dotted quad (no leading zeros or legacy `127.1` /
 * `0x7f.0.0.1` forms), an IPv6 address, `[IPv6]`, and a port on either — `1.2.3.4:5678`,
 * `[2001:db8::1]:443` — which is stripped (Azure Application Gateway and IIS ARR add ports).
 * A bare IPv6 address is never read as having a port (`2001:db8::1:443` is an address).
 *
 * **Normalized output.** IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports)
 * becomes `1.2.3.4`; IPv6 is in the canonical compressed lower-case form (`2001:db8::1`); a zone id
 * on the socket address is dropped. So one client has one IP for `per: 'ip'` limits, which count
 * by {@link ClientIpResolver.networkOf}: IPv4 addresses as they are, IPv6 by their /64 network
 * (`options.ipv6Prefix`), since one subscriber holds a whole /64 (often a /56 or /48).
 *
 * **Never throws**: a request without a socket address or headers, or any odd shape, resolves to
 * `{ ip: undefined, source: 'socket' }`.
 *
 * **Security.** Trust only proxies you run (or your CDN's published ranges), and only if they
 * append to `X-Forwarded-For` and, when a client-IP header is configured, overwrite it: a trusted
 * proxy that forwards a client's own copy of that header lets that client pick its IP, and with
 * it its rate-limit bucket. Prefer exact ranges to `true` or a hop count larger than your real
 * proxy chain — either lets a client choose the address the walk stops at.
 *
 * @public
 */
export class ClientIpResolver {
  private readonly trust: TrustFunction;
  private readonly header: ClientIpHeader | undefined;
  /** The IPv6 prefix length of {@link networkOf}; 128 = no grouping. */
  readonly ipv6Prefix: number;
  private readonly networks = new Map<string, string>();

  /**
   * @param trustProxy Express's `trust proxy` setting (see above).
   * @param options the client-IP header to read from trusted peers, and the IPv6 grouping.
   */
  constructor(
    trustProxy: boolean | number | string | string[],
    options: ClientIpResolverOptions = {},
  ) {
    this.trust = compileTrust(trustProxy);
    this.header = options.header?.trim().toLowerCase() as ClientIpHeader | undefined;
    this.ipv6Prefix = options.ipv6Prefix ?? DEFAULT_IPV6_PREFIX;
  }

  /** The client IP of an Express or Fastify request, or of a Node `IncomingMessage`. */
  resolve(request: unknown): ClientIp {
    try {
      return this.resolveMessage(request);
    } catch {
      // A getter that throws or a hostile proxy object: there is no usable peer.
      return { ip: undefined, source: 'socket' };
    }
  }

  /**
   * The client IP of a connection known only by its peer address, without request headers (a
   * WebSocket client whose upgrade request is not known): the peer itself when it is not a
   * trusted proxy; unknown when it is, since a trusted proxy's clients can only be told apart by
   * the headers it adds, and counting them all as the proxy would put them in one bucket.
   */
  resolvePeer(address: unknown): ClientIp {
    const ip = normalizeSocketAddress(address);
    return { ip: ip !== undefined && !this.trust(ip, 0) ? ip : undefined, source: 'socket' };
  }

  /**
   * What per-IP counters group by: an IPv4 address as it is; an IPv6 address as its network
   * under `ipv6Prefix` (`2001:db8:1:2::/64`), or as it is with prefix 128. IPv4-mapped IPv6
   * (`::ffff:1.2.3.4`) counts as its IPv4 address. Anything that is not an IP comes back as it is.
   *
   * @example
   * ```ts
   * resolver.networkOf('2001:db8:1:2:a:b:c:d'); // '2001:db8:1:2::/64'
   * resolver.networkOf('203.0.113.7');          // '203.0.113.7'
   * ```
   */
  networkOf(ip: string): string;
  networkOf(ip: string | undefined): string | undefined;
  networkOf(ip: string | undefined): string | undefined {
    // IPv4 (what most requests carry) needs no parsing at all.
    if (ip === undefined || !ip.includes(':')) return ip;
    let network = this.networks.get(ip);
    if (network === undefined) {
      network = ipv6Network(ip, this.ipv6Prefix);
      // Bounded: a flood of distinct addresses costs at most MAX_NETWORKS entries.
      // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#client-ip-resolution
      if (this.networks.size >= MAX_NETWORKS) this.networks.clear();
      this.networks.set(ip, network);
    }
    return network;
  }

  private resolveMessage(request: unknown): ClientIp {
    const message = messageOf(request);
    const socketIp = normalizeSocketAddress(message?.socket?.remoteAddress);
    const headers = message?.headers;
    // Not a request (no peer, or no header block): nothing to go on.
    if (socketIp === undefined || typeof headers !== 'object' || headers === null) {
      return { ip: undefined, source: 'socket' };
    }
    if (!this.trust(socketIp, 0)) return { ip: socketIp, source: 'socket' };

    if (this.header !== undefined) {
      const fromHeader = singleIp(headers[this.header]);
      if (fromHeader !== undefined) return { ip: fromHeader, source: this.header };
    }

    let ip = socketIp;
    let source: ClientIp['source'] = 'socket';
    const entries = forwardedEntries(headers['x-forwarded-for']);
    // The same walk as proxyAddr.all(): hop 0 (the socket) was trusted above.
    for (let hop = 1; hop <= entries.length; hop++) {
      const entry = entries[hop - 1];
      if (entry === MALFORMED) break;
      ip = entry;
      source = 'x-forwarded-for';
      if (!this.trust(entry, hop)) break;
    }
    return { ip, source };
  }
}

/** Express's `trust proxy` compilation, with `proxy-addr` for address lists. */
function compileTrust(trustProxy: boolean | number | string | string[]): TrustFunction {
  if (trustProxy === true) return () => true;
  if (trustProxy === false) return () => false;
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy;
  const list = typeof trustProxy === 'string' ? trustProxy.split(',') : trustProxy;
  return proxyAddr.compile(list.map((entry) => entry.trim()).filter((entry) => entry !== ''));
}

/** The Node message behind an Express request, a Fastify request (`raw`) or a bare message. */
function messageOf(request: unknown): Partial<IncomingMessage> | undefined {
  // Express's request is the message: say so before looking for a `raw` it does not have.
  // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#client-ip-resolution
  if (request instanceof IncomingMessage) return request;
  if (typeof request !== 'object' || request === null) return undefined;
  const raw = (request as { raw?: unknown }).raw;
  if (typeof raw === 'object' && raw !== null && 'headers' in raw) {
    return raw as Partial<IncomingMessage>;
  }
  return request as Partial<IncomingMessage>;
}
