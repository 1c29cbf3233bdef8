import type { Redis, RedisOptions } from 'ioredis';
import { CaptchaConfigError } from '../config/captcha-config.error';

/**
 * The ioredis client behind a `url`: tuned to fail fast while Redis is down and to come back by
 * itself.
 *
 * @internal
 */
export function createClient(url: string, commandTimeoutMs: number): Redis {
  const { Redis: RedisClient } = loadIoredis();
  const options: RedisOptions = {
    // Refuse commands at once while disconnected instead of holding them until Redis is back
    // (an offline queue stalled requests for ~24 s before a fail-open path ran, in a peer library).
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails instead of being retried later.
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    // Reconnect forever, quickly: 50 ms, 100 ms, … capped at 500 ms.
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 500),
    // Commands of one event-loop turn (concurrent requests' claims and counters) share a write.
    // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#redis-auto-pipelining
    enableAutoPipelining: true,
  };
  return new RedisClient(url, options);
}

/**
 * Closes a client: politely with `QUIT` when Redis answers (at most `quitTimeoutMs`), then drops
 * the connection, which also stops reconnecting when Redis was down.
 *
 * @internal
 */
export async function closeClient(client: Redis, quitTimeoutMs: number): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.quit().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, quitTimeoutMs))),
    ]);
    clearTimeout(timer);
  }
  client.disconnect();
}

/**
 * ioredis, loaded on demand (an optional peer); a clear configuration error when it is missing.
 *
 * @internal
 */
export function loadIoredis(): typeof import('ioredis') {
  try {
    // Loaded on demand: ioredis is an optional peer dependency, needed only for `url`.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('ioredis') as typeof import('ioredis');
  } catch (error) {
    const missing =
      (error as { code?: unknown })?.code === 'MODULE_NOT_FOUND' &&
      String((error as Error).message).includes('ioredis');
    if (missing) {
      throw new CaptchaConfigError([
        'CAPTCHA_STORE=redis needs the ioredis package: npm i ioredis',
      ]);
    }
    throw error;
  }
}

/**
 * A TTL Redis accepts (a positive whole number of ms); rejects nonsense before it reaches Redis.
 *
 * @internal
 */
export function toTtl(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${String(ms)}`);
  }
  return Math.ceil(ms);
}

/**
 * Client messages may quote a connection URL, and with it a password: keep them out of errors.
 *
 * @internal
 */
export function redact(message: string): string {
  return message
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S*/gi, '<redis url>')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
}
