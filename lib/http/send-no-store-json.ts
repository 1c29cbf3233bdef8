import type { ServerResponse } from 'node:http';

/**
 * Answers a raw Node response with JSON that no cache may keep (challenges are single-use), for
 * the middlewares that serve challenges on Express and Fastify alike.
 *
 * @internal
 */
export function sendNoStoreJson(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.setHeader('cache-control', 'no-store');
  response.end(JSON.stringify(body));
}
