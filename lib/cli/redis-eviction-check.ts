import type { DoctorCheck } from './doctor-check';
import { configValue, doctorRedisClient } from './doctor-redis-client';

/**
 * Reports whether the Redis behind the store may evict single-use claims, from its
 * `maxmemory` and `maxmemory-policy` (`CONFIG GET`, where the user may run it):
 *
 * - `pass`: no `maxmemory` (nothing is evicted for memory), or `noeviction` (a full Redis
 *   refuses writes, and the store refuses claims with 503 rather than forget one);
 * - `warn`: a `volatile-*` policy (every store key has a TTL, so claims can be evicted once
 *   Redis is full: keep headroom), or `CONFIG GET` refused (managed Redis, ACLs);
 * - `fail`: an `allkeys-*` policy, which evicts live claims as soon as memory is tight, after
 *   which spent tokens are accepted again.
 *
 * Never throws; the URL and its password never appear in the message.
 *
 * @internal
 */
export async function redisEvictionCheck(url: string, timeoutMs: number): Promise<DoctorCheck> {
  const name = 'redis-eviction';
  const client = doctorRedisClient(url, timeoutMs);
  try {
    await client.connect();
    const policy = configValue(await client.config('GET', 'maxmemory-policy'));
    const maxmemory = Number(configValue(await client.config('GET', 'maxmemory')));
    if (policy === undefined) throw new Error('no maxmemory-policy in the reply');
    const said = `maxmemory-policy ${policy}, maxmemory ${maxmemory > 0 ? maxmemory : 'unset'}`;
    if (maxmemory === 0 || policy === 'noeviction') {
      return {
        name,
        status: 'pass',
        message: `${said}: claims are never evicted (a full Redis refuses them, answered 503)`,
      };
    }
    if (policy.startsWith('allkeys-')) {
      return {
        name,
        status: 'fail',
        message:
          `${said}: Redis evicts any key when full, single-use claims included, and a spent ` +
          'token is then accepted again. Use noeviction (or volatile-* with ample memory)',
      };
    }
    return {
      name,
      status: 'warn',
      message:
        `${said}: every store key has a TTL, so claims can be evicted once Redis is full. ` +
        'Keep memory headroom, or use noeviction',
    };
  } catch (error) {
    const refused = /NOPERM|unknown command|not allowed/i.test((error as Error)?.message ?? '');
    return {
      name,
      status: 'warn',
      message: refused
        ? 'could not read maxmemory-policy (CONFIG GET is not permitted): make sure Redis ' +
          'never evicts the store’s keys (noeviction, or volatile-* with ample memory)'
        : 'could not read maxmemory-policy: make sure Redis never evicts the store’s keys ' +
          '(noeviction, or volatile-* with ample memory)',
    };
  } finally {
    client.disconnect();
  }
}
