import { IncomingMessage } from 'node:http';
import type { CaptchaCondition } from '../conditions/captcha-condition';
import { conditionSourcesOf } from '../conditions/condition-internals';

/**
 * The upgrade request of each WebSocket connection, by its `net.Socket`, written by
 * `WsUpgradeRequests`. `@nestjs/platform-ws` hands the request to `handleConnection` only
 * and keeps it nowhere on the client; the client keeps the socket (`_socket`). Weak: an entry
 * goes with its connection.
 */
const upgradeRequests = new WeakMap<object, IncomingMessage>();

/** Keeps an upgrade request for its socket (an HTTP server's `upgrade` listener). @internal */
export function recordUpgradeRequest(request: IncomingMessage): void {
  if (typeof request?.socket === 'object' && request.socket !== null) {
    upgradeRequests.set(request.socket, request);
  }
}

/**
 * The HTTP request that opened a gateway client's connection: socket.io's `client.request`, else
 * the upgrade request `WsUpgradeRequests` recorded for the `ws` client's socket.
 * `undefined` when neither is found (a gateway on a port of its own, another adapter).
 *
 * @internal
 */
export function wsUpgradeRequestOf(client: unknown): IncomingMessage | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const { request, _socket: socket } = client as { request?: unknown; _socket?: unknown };
  if (request instanceof IncomingMessage) return request;
  return typeof socket === 'object' && socket !== null ? upgradeRequests.get(socket) : undefined;
}

/**
 * The peer address of a gateway client's connection, when its upgrade request is not known:
 * `ws`'s `_socket.remoteAddress`, socket.io's `conn.remoteAddress` or `handshake.address`.
 *
 * @internal
 */
export function wsPeerAddressOf(client: unknown): string | undefined {
  const { _socket, conn, handshake } = (client ?? {}) as {
    _socket?: { remoteAddress?: unknown };
    conn?: { remoteAddress?: unknown };
    handshake?: { address?: unknown };
  };
  const address = _socket?.remoteAddress ?? conn?.remoteAddress ?? handshake?.address;
  return typeof address === 'string' ? address : undefined;
}

/**
 * What a gateway's condition needs of the client that this connection cannot tell, or
 * `undefined` when nothing is missing: headers (`per: 'header.<name>'`, `suspiciousClient`)
 * without the upgrade request, or the client IP (`per: 'ip'`, `ipIn`, the default subject of
 * `failedAttempts`) when only a trusted proxy's address is known. The guard then refuses the
 * message rather than count every client as one.
 *
 * @internal
 */
export function wsIdentityGap(
  request: unknown,
  clientIp: string | undefined,
  when: CaptchaCondition | undefined,
): string | undefined {
  // The usual case, the upgrade request and the client IP known, needs no look at the condition.
  const upgrade = request instanceof IncomingMessage;
  if (!when || (upgrade && clientIp !== undefined)) return undefined;
  const sources = conditionSourcesOf(when);
  if (sources.includes('header') && !upgrade) {
    return "the condition reads headers, and the connection's upgrade request was not found";
  }
  if (sources.includes('ip') && clientIp === undefined) {
    return "the condition reads the client IP, and the connection's upgrade request was not found while its peer is a trusted proxy (or unknown)";
  }
  return undefined;
}

/**
 * A gateway client's answer to a refused message, as `{ event: 'exception', data }`. Nest's
 * `client.emit('exception', …)` sends nothing on `@nestjs/platform-ws` (the client is an
 * `EventEmitter` there), so a `ws` client (a numeric `readyState` and `send`) is sent the frame
 * the adapter sends for a handler's answer; a socket.io client gets the `exception` event. Never
 * throws: the connection may be closing.
 *
 * @internal
 */
export function sendWsException(client: unknown, data: object): void {
  const socket = client as {
    readyState?: unknown;
    send?: (frame: string) => void;
    emit?: (event: string, data: unknown) => void;
  } | null;
  try {
    if (typeof socket?.readyState === 'number' && typeof socket.send === 'function') {
      // OPEN only, as the adapter does: `ws` throws on a connection still opening.
      if (socket.readyState === 1) socket.send(JSON.stringify({ event: 'exception', data }));
    } else if (typeof socket?.emit === 'function') {
      socket.emit('exception', data);
    }
  } catch {
    // The client went away meanwhile: there is no one to answer.
  }
}
