import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { RedisServer } from './redis-server';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;
const run = promisify(execFile);

/**
 * A real Redis Cluster on 127.0.0.1 for tests: `masters` nodes (three by default) joined with
 * `redis-cli --cluster create`, the 16384 slots split between them, no replicas and no
 * persistence. Keys of one test land on different masters, so a multi-key command whose keys are
 * not hash-tagged into one slot fails here as it would in production (`CROSSSLOT`).
 *
 * @example
 * ```ts
 * const cluster = await RedisCluster.start();
 * const client = cluster.client(); // an ioredis Cluster
 * await cluster.stop();
 * ```
 */
export class RedisCluster {
  private readonly clients: Cluster[] = [];

  private constructor(readonly nodes: readonly RedisServer[]) {}

  /** Starts the nodes, creates the cluster and waits until every node says `cluster_state:ok`. */
  static async start({ masters = 3 }: { masters?: number } = {}): Promise<RedisCluster> {
    const nodes = await Promise.all(
      Array.from({ length: masters }, () => RedisServer.start({ clusterNode: true })),
    );
    const cluster = new RedisCluster(nodes);
    try {
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...nodes.map((node) => `${HOST}:${node.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { timeout: READY_TIMEOUT_MS },
      );
      await cluster.waitUntilOk(Date.now() + READY_TIMEOUT_MS);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The seed nodes an ioredis `Cluster` starts from. */
  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: HOST, port: node.port }));
  }

  /** A connected ioredis `Cluster` client, closed by {@link stop}. */
  async client(): Promise<Cluster> {
    const client = new Cluster(this.startupNodes);
    client.on('error', () => undefined);
    this.clients.push(client);
    await new Promise((resolve) => client.once('ready', resolve));
    return client;
  }

  /** How many keys each master holds (`DBSIZE`), in node order. */
  async keysPerNode(): Promise<number[]> {
    return Promise.all(this.nodes.map((node) => onNode(node, (redis) => redis.dbsize())));
  }

  /** Closes the clients it made and stops every node. */
  async stop(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.quit().catch(() => undefined)));
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  private async waitUntilOk(deadline: number): Promise<void> {
    for (const node of this.nodes) {
      while (
        !String(await onNode(node, (redis) => redis.call('CLUSTER', 'INFO'))).includes(
          'cluster_state:ok',
        )
      ) {
        if (Date.now() > deadline) throw new Error(`redis cluster never became ok on ${node.url}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

/** Runs one admin command against a single node over a short-lived connection. */
async function onNode<T>(node: RedisServer, command: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: HOST, port: node.port, lazyConnect: true });
  try {
    await redis.connect();
    return await command(redis);
  } finally {
    redis.disconnect();
  }
}
