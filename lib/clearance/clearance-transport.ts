import { parseCookie, stringifySetCookie } from 'cookie';
import ipaddr from 'ipaddr.js';

/** The cookie a clearance travels in. @public */
export const CLEARANCE_COOKIE = 'captcha_clearance';

/** The header a clearance travels in, both ways (API clients). @public */
export const CLEARANCE_HEADER = 'x-captcha-clearance';

type Headers = Record<string, string | string[] | undefined>;

function headersOf(request: unknown): Headers | undefined {
  const headers = (request as { headers?: unknown } | undefined)?.headers;
  return typeof headers === 'object' && headers !== null ? (headers as Headers) : undefined;
}

/**
 * The clearance a request carries: the header `x-captcha-clearance` (it wins), else the cookie
 * `captcha_clearance`; `undefined` when there is none. Read only when a route's condition fired
 * and clearances are on, so calm requests never parse cookies.
 * @internal
 */
export function clearanceOf(request: unknown): string | undefined {
  const headers = headersOf(request);
  if (headers === undefined) return undefined;
  const header = headers[CLEARANCE_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  // A repeated header is refused as it came (joined), never picked from.
  if (Array.isArray(header)) return header.join(',');
  const cookie = headers.cookie;
  if (typeof cookie !== 'string' || !cookie.includes(CLEARANCE_COOKIE)) return undefined;
  return parseCookie(cookie)[CLEARANCE_COOKIE] || undefined;
}

/** `true` for a loopback address (`127.0.0.0/8`, `::1`, IPv4-mapped ones), by ipaddr.js. */
function isLoopbackAddress(address: unknown): boolean {
  return (
    typeof address === 'string' &&
    ipaddr.isValid(address) &&
    ipaddr.process(address).range() === 'loopback'
  );
}

/** `true` for `localhost`, `*.localhost` and loopback addresses (`[::1]` bracketed, a port after). */
function isLoopbackHost(host: string): boolean {
  const name = (
    host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]
  ).toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

/**
 * Whether the cookie may go without `Secure`: only for a request that came over loopback to a
 * loopback host (local development over plain http). Behind a TLS proxy on the same machine the
 * host is the public one, so the cookie stays `Secure`.
 */
function isLocalRequest(request: unknown): boolean {
  const host = headersOf(request)?.host;
  const raw = (request as { raw?: unknown } | undefined)?.raw ?? request;
  const socket = (raw as { socket?: { remoteAddress?: unknown } } | undefined)?.socket;
  return (
    typeof host === 'string' && isLoopbackHost(host) && isLoopbackAddress(socket?.remoteAddress)
  );
}

/** `Set-Cookie` value of a clearance (`maxAgeSeconds` 0 clears it). @internal */
export function clearanceCookie(request: unknown, value: string, maxAgeSeconds: number): string {
  return stringifySetCookie(CLEARANCE_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    maxAge: maxAgeSeconds,
    secure: !isLocalRequest(request),
  });
}

interface ExpressLikeResponse {
  append(name: string, value: string): unknown;
  setHeader(name: string, value: string | string[]): unknown;
}
interface FastifyLikeReply {
  raw: unknown;
  header(name: string, value: string): unknown;
}
interface NodeLikeResponse {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string | string[]): unknown;
}

/**
 * Adds a header to an Express response or a Fastify reply (or a bare Node response), keeping the
 * `Set-Cookie` values already set. `false` when `response` is none of them.
 * @internal
 */
export function appendResponseHeader(response: unknown, name: string, value: string): boolean {
  if (typeof response !== 'object' || response === null) return false;
  const fastify = response as Partial<FastifyLikeReply>;
  if (fastify.raw !== undefined && typeof fastify.header === 'function') {
    // Fastify collects repeated set-cookie values into a list itself.
    fastify.header(name, value);
    return true;
  }
  const express = response as Partial<ExpressLikeResponse>;
  if (typeof express.append === 'function') {
    express.append(name, value);
    return true;
  }
  const node = response as Partial<NodeLikeResponse>;
  if (typeof node.setHeader !== 'function' || typeof node.getHeader !== 'function') return false;
  const existing = node.getHeader(name);
  const list =
    existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  node.setHeader(name, name.toLowerCase() === 'set-cookie' ? [...list, value] : value);
  return true;
}
