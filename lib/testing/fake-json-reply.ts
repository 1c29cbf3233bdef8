import type { ServerResponse } from 'node:http';

/**
 * Answers `body` as JSON with its length, for the fake server's routes.
 *
 * @internal
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
