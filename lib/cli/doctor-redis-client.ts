import type { Redis } from 'ioredis';
import { loadIoredis } from '../stores/redis-store-client';

/**
 * A one-shot Redis client for a `doctor` check: no offline queue, no retries, every step bounded
 * by `timeoutMs`, errors left to the caller (connect it, then `disconnect()` in a `finally`).
 * ioredis is loaded as the store loads it (an optional peer).
 *
 * @internal
 */
export function doctorRedisClient(url: string, timeoutMs: number): Redis {
  const { Redis } = loadIoredis();
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
