import { request, type Agent } from 'node:http';
import type { Dispatcher } from 'undici';

/**
 * The cheapest correct form POSTs Node can make, with nothing of the library in them: the floors
 * the bench compares the library's provider call with (`apps/floor-app`, `diag/transport-cost`).
 * Each resolves with the answer's text.
 */

/** One `http.request` on a keep-alive agent; `timeoutMs` adds a socket-free timer. */
export function httpFormPost(
  agent: Agent,
  url: URL,
  body: string,
  timeoutMs?: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve(text);
        });
      },
    );
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

/** One POST through undici's lowest-level `dispatch`, the answer collected by a handler object. */
export function dispatchFormPost(dispatcher: Dispatcher, url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      },
      {
        onConnect: () => undefined,
        onHeaders: () => true,
        onData: (chunk) => chunks.push(chunk) > 0,
        onComplete: () =>
          resolve(
            chunks.length === 1
              ? chunks[0].toString('utf8')
              : Buffer.concat(chunks).toString('utf8'),
          ),
        onError: reject,
      },
    );
  });
}
