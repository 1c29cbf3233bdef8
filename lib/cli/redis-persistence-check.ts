import type { DoctorCheck } from './doctor-check';
import { configValue, doctorRedisClient } from './doctor-redis-client';

/**
 * Reports whether the Redis behind the store keeps single-use claims across a restart, from
 * `CONFIG GET appendonly`, `appendfsync` and `save` (where the user may run `CONFIG`), and how
 * many replicas it has (`INFO replication`):
 *
 * - `pass`: AOF on (`appendonly yes`): a restart replays the log, claims included;
 * - `warn`: RDB snapshots only (claims since the last snapshot are lost), no persistence at all
 *   (a restart forgets every claim: a token accepted before it is accepted again wherever
 *   replay protection is ours, ALTCHA), or `CONFIG` refused (managed Redis, ACLs: cannot tell).
 *
 * A replica softens a warning (fail over to it rather than restart), which the message says.
 * Never throws; the URL and its password never appear in the message.
 *
 * @internal
 */
export async function redisPersistenceCheck(url: string, timeoutMs: number): Promise<DoctorCheck> {
  const name = 'redis-persistence';
  const client = doctorRedisClient(url, timeoutMs);
  try {
    await client.connect();
    const replicas = await replicaCount(client);
    const withReplicas =
      replicas > 0 ? `; ${replicas} replica${replicas === 1 ? '' : 's'} connected` : '';
    let appendonly: string | undefined;
    let save: string | undefined;
    let fsync: string | undefined;
    try {
      appendonly = configValue(await client.config('GET', 'appendonly'));
      save = configValue(await client.config('GET', 'save'));
      fsync = configValue(await client.config('GET', 'appendfsync'));
    } catch (error) {
      const message = (error as Error)?.message ?? '';
      if (!/NOPERM|unknown command|not allowed|disabled/i.test(message)) throw error;
    }
    if (appendonly === undefined) {
      return {
        name,
        status: 'warn',
        message:
          `cannot tell whether Redis persists (CONFIG GET is not permitted)${withReplicas}: ` +
          'without AOF (appendonly yes) or a replica, a restart forgets every single-use claim',
      };
    }
    if (appendonly === 'yes') {
      return {
        name,
        status: 'pass',
        message: `appendonly yes (appendfsync ${fsync ?? '?'})${withReplicas}: claims survive a restart`,
      };
    }
    const snapshots = save !== undefined && save.trim() !== '';
    return {
      name,
      status: 'warn',
      message:
        (snapshots
          ? `appendonly no, RDB snapshots only (save ${save})${withReplicas}: a restart loses the ` +
            'claims made since the last snapshot'
          : `no persistence (appendonly no, save "")${withReplicas}: a restart forgets every ` +
            'single-use claim and counter') +
        '. Tokens accepted before it are then refused only by providers that refuse reuse ' +
        'themselves (not ALTCHA). Use appendonly yes, or a replica to fail over to',
    };
  } catch {
    return {
      name,
      status: 'warn',
      message:
        'could not read the persistence settings: make sure Redis keeps claims across ' +
        'restarts (appendonly yes, or a replica)',
    };
  } finally {
    client.disconnect();
  }
}

/** Connected replicas from `INFO replication` (`connected_slaves:N`); 0 when unknown. */
async function replicaCount(client: { info(section: string): Promise<string> }): Promise<number> {
  try {
    const info = await client.info('replication');
    const match = /^connected_slaves:(\d+)/m.exec(info);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}
