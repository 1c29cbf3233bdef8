import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

// Reading IP addresses out of header values and socket addresses, strictly and within bounds,
// for ClientIpResolver (which decides whom to trust).

/** `X-Forwarded-For` entries examined at most, counted from the right. */
const MAX_FORWARDED_ENTRIES = 20;
/** Longest single header value read as an IP (`[v6:with:embedded:1.2.3.4]:65535` is 53). */
const MAX_ADDRESS_LENGTH = 64;
/** Only this many trailing characters of `X-Forwarded-For` are read (enough for the entries). */
const MAX_FORWARDED_CHARS = MAX_FORWARDED_ENTRIES * (MAX_ADDRESS_LENGTH + 2);
const PORT = /^:[0-9]{1,5}$/;
const OPTIONAL_WHITESPACE = /^[ \t]+|[ \t]+$/g;
/**
 * Marks an entry that ends the walk: malformed, or beyond the examined part of the header.
 *
 * @internal
 */
export const MALFORMED = Symbol('malformed');

/**
 * The network of an IPv6 address under `prefix` (`2001:db8:1:2::/64`); the address itself with
 * prefix 128; an IPv4-mapped address as its IPv4 address; anything else as it is.
 *
 * @internal
 */
export function ipv6Network(ip: string, prefix: number): string {
  if (isIP(ip) !== 6) return ip;
  const address = ipaddr.IPv6.parse(ip);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  if (prefix >= 128) return address.toString();
  // Masked on the parsed words: networkAddressFromCIDR without parsing and formatting twice.
  // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#client-ip-resolution
  const words = address.parts.map((word, i) => {
    const bits = Math.min(16, Math.max(0, prefix - i * 16));
    return word & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${new ipaddr.IPv6(words).toString()}/${prefix}`;
}

/** The last socket address seen, and what it normalized to. */
let lastSocketAddress: string | undefined;
let lastSocketIp: string | undefined;

/**
 * The socket peer, normalized; a zone id (`fe80::1%eth0`) is dropped.
 *
 * @internal
 */
export function normalizeSocketAddress(address: unknown): string | undefined {
  if (typeof address !== 'string') return undefined;
  // Requests come in runs from one peer (keep-alive, the load balancer): keep the last answer.
  // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#client-ip-resolution
  if (address === lastSocketAddress) return lastSocketIp;
  const ip = parseSocketAddress(address);
  lastSocketAddress = address;
  lastSocketIp = ip;
  return ip;
}

function parseSocketAddress(address: string): string | undefined {
  const zone = address.indexOf('%');
  const bare = zone === -1 ? address : address.slice(0, zone);
  const kind = isIP(bare);
  if (kind === 4) return bare; // already canonical (`isIP` refuses leading zeros)
  return kind === 0 ? undefined : normalize(bare);
}

/**
 * A header that must hold exactly one IP (the configured client-IP header).
 *
 * @internal
 */
export function singleIp(value: IncomingHttpHeaders[string]): string | undefined {
  const text = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
  return typeof text === 'string' ? parseHeaderAddress(text) : undefined;
}

/**
 * The `X-Forwarded-For` entries nearest the server first, each a normalized IP or
 * {@link MALFORMED}; ends with {@link MALFORMED} when the header goes on past what is examined.
 *
 * @internal
 */
export function forwardedEntries(
  value: IncomingHttpHeaders[string],
): (string | typeof MALFORMED)[] {
  const header = Array.isArray(value)
    ? value.every((line) => typeof line === 'string')
      ? value.join(',')
      : undefined
    : value;
  if (typeof header !== 'string' || header === '') return [];
  const truncated = header.length > MAX_FORWARDED_CHARS;
  const pieces = (truncated ? header.slice(-MAX_FORWARDED_CHARS) : header).split(',').reverse();
  // The leftmost piece of a truncated header may be the tail of a longer address.
  if (truncated) pieces[pieces.length - 1] = '';
  const entries: (string | typeof MALFORMED)[] = pieces
    .slice(0, MAX_FORWARDED_ENTRIES)
    .map((piece) => parseHeaderAddress(piece) ?? MALFORMED);
  if (pieces.length > MAX_FORWARDED_ENTRIES) entries.push(MALFORMED);
  return entries;
}

/**
 * One IP from a header value: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]` or
 * `[2001:db8::1]:443`, surrounded by optional spaces/tabs. Anything else (zone ids included) is
 * `undefined`.
 */
function parseHeaderAddress(value: string): string | undefined {
  const text = value.replace(OPTIONAL_WHITESPACE, '');
  if (text === '' || text.length > MAX_ADDRESS_LENGTH || text.includes('%')) return undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1 || !isPort(text.slice(close + 1), true)) return undefined;
    const address = text.slice(1, close);
    return isIP(address) === 6 ? normalize(address) : undefined;
  }
  if (isIP(text) !== 0) return normalize(text);
  const colon = text.indexOf(':');
  if (colon === -1 || !isPort(text.slice(colon), false)) return undefined;
  const address = text.slice(0, colon);
  return isIP(address) === 4 ? normalize(address) : undefined;
}

function isPort(text: string, optional: boolean): boolean {
  if (text === '') return optional;
  return PORT.test(text) && Number(text.slice(1)) <= 65_535;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; IPv6 in canonical compressed lower case. Input passed `isIP`. */
function normalize(address: string): string {
  // What sockets report on every request first: `isIP` accepts only canonical dotted quads (no
  // leading zeros), so such an address is already normalized; ipaddr.js only for the rest.
  // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#client-ip-resolution
  if (isIP(address) === 4) return address;
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) return address.slice(7);
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  }
  return parsed.toString();
}
