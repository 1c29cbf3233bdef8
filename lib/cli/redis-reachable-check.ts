import { performance } from 'node:perf_hooks';
import { RedisCaptchaStore } from '../stores/redis-captcha.store';
import { type DoctorCheck, elapsed, errorMessage } from './doctor-check';

/** The Redis store's default command timeout: slower answers fail requests in the app. */
const REDIS_STORE_COMMAND_TIMEOUT_MS = 100;

/**
 * Reads one key through a fresh store, as the app would; the URL never appears in the message.
 *
 * @internal
 */
export async function redisCheck(
  url: string | undefined,
  commandTimeoutMs: number,
): Promise<DoctorCheck> {
  let store: RedisCaptchaStore;
  try {
    store = new RedisCaptchaStore({ url, commandTimeoutMs });
  } catch (error) {
    return { name: 'redis', status: 'fail', message: errorMessage(error) };
  }
  try {
    const started = performance.now();
    await store.count('doctor'); // connects first
    const firstMs = elapsed(started);
    const again = performance.now();
    await store.count('doctor');
    const latencyMs = elapsed(again);
    const message = `Redis reachable: a read took ${latencyMs} ms (${firstMs} ms with the connection)`;
    if (latencyMs > REDIS_STORE_COMMAND_TIMEOUT_MS) {
      return {
        name: 'redis',
        status: 'warn',
        message: `${message}, more than the store's ${REDIS_STORE_COMMAND_TIMEOUT_MS} ms command timeout`,
        latencyMs,
      };
    }
    return { name: 'redis', status: 'pass', message, latencyMs };
  } catch (error) {
    const message = errorMessage(error).replace(/^redis store unavailable: /, '');
    return { name: 'redis', status: 'fail', message: `Redis unreachable: ${message}` };
  } finally {
    await store.close().catch(() => undefined);
  }
}
