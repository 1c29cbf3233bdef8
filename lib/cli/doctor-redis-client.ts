import type { Redis } from 'ioredis';

/**
 * A one-shot Redis client for a `doctor` check: no offline queue, no retries, every step bounded
 * by `timeoutMs`, errors left to the caller (connect it, then `disconnect()` in a `finally`).
 * ioredis is loaded on demand like the store does: it is an optional peer (the `redis` check ran
 * first).
 *
 * @internal
 */
export function doctorRedisClient(url: string, timeoutMs: number): Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  return client;
}

/** The value of a one-parameter `CONFIG GET` reply (`[name, value]`). @internal */
export function configValue(reply: unknown): string | undefined {
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
}
