import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { freePort } from './free-port';

const HOST = '127.0.0.1';
const RUNNING = Symbol.for('nestjs-captcha.test.redis-servers');
const READY_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 5_000;

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /**
   * Start as a Redis Cluster node that owns no slots yet, for {@link RedisCluster} to join with
   * others (`redis-cli --cluster create`). Each start is a fresh node.
   */
  clusterNode?: boolean;
  /**
   * What the server persists: nothing (default, the test suites' Redis), an append-only file
   * (`aof`: `appendonly yes`), or RDB snapshots (`rdb`: `save 3600 1`). Files go to a fresh
   * temporary directory, deleted on stop.
   */
  persistence?: 'none' | 'aof' | 'rdb';
}

/**
 * A real `redis-server` on 127.0.0.1 for tests, on a free port, without persistence unless
 * {@link RedisServerOptions.persistence} asks for it. `stop()` and
 * `start()` again keep the same port, so a client can watch Redis go down and come back.
 *
 * Missing binary is an error, never a skip: a suite that silently skips its Redis half proves
 * nothing.
 *
 * @example
 * ```ts
 * const redis = await RedisServer.start();
 * const store = new RedisCaptchaStore({ url: redis.url });
 * await redis.stop(); // … outage …
 * await redis.start();
 * ```
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private output = '';

  private constructor(
    private readonly binary: string,
    /** The port, the same across restarts. */
    readonly port: number,
    /** A cluster node (see {@link RedisServerOptions.clusterNode}). */
    private readonly cluster: boolean,
    /**
     * The cluster bus port, also fixed: Redis would take `port + 10000`, past 65535 for many
     * ephemeral ports.
     */
    private readonly busPort: number | undefined,
    private readonly persistence: 'none' | 'aof' | 'rdb' = 'none',
  ) {}

  /** Starts a server on a free port; resolves once it answers `PING` (and, for a cluster, serves all slots). */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const cluster = options.clusterNode ?? false;
    const server = new RedisServer(
      findRedisServer(),
      await freePort(),
      cluster,
      cluster ? await freePort() : undefined,
      options.persistence,
    );
    await server.start();
    return server;
  }

  /** Where a cluster node keeps its state; deleted on stop so each start is a fresh cluster. */
  private get clusterConfigFile(): string {
    return join(tmpdir(), `nestjs-captcha-test-nodes-${this.port}.conf`);
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  /** Whether the server process is running. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open, commands are received by the kernel but
   * not run until {@link resume} (SIGCONT), the way a stalled or swapping Redis behaves.
   */
  pause(): void {
    if (!this.child) throw new Error('redis-server is not running');
    this.child.kill('SIGSTOP');
  }

  /** Thaws a server frozen by {@link pause} (SIGCONT): it runs what it received, in order. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** (Re)starts the server on its port; resolves once it is ready (at most 5 s). */
  async start(): Promise<void> {
    if (this.child) return;
    this.output = '';
    const clusterArgs = this.cluster
      ? [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          this.clusterConfigFile,
          '--cluster-port',
          String(this.busPort),
          // Announced, so CLUSTER SLOTS names an address clients can route to.
          '--cluster-announce-ip',
          HOST,
        ]
      : [];
    const child = spawn(
      this.binary,
      [
        ...clusterArgs,
        '--port',
        String(this.port),
        '--bind',
        HOST,
        ...this.persistenceArgs(),
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-2_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let exitedEarly = false;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exitedEarly = true;
        if (this.child === child) this.child = undefined;
        resolve();
      });
      // A spawn failure emits 'error' and maybe never 'exit'.
      child.once('error', (error) => {
        exitedEarly = true;
        collect(Buffer.from(error.message));
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    this.child = child;
    killOnExit.add(child);
    void this.exited.then(() => killOnExit.delete(child));

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await answersPing(this.port))) {
      if (exitedEarly || Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `redis-server did not start on ${HOST}:${this.port}` +
            (exitedEarly ? ' (it exited)' : ` within ${READY_TIMEOUT_MS} ms`) +
            `: ${this.output.trim()}`,
        );
      }
      await sleep(20);
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = this.exited ?? Promise.resolve();
    child.kill('SIGCONT'); // a frozen server would never act on SIGTERM
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
    if (this.cluster) rmSync(this.clusterConfigFile, { force: true });
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = undefined;
  }

  private dataDir: string | undefined;

  private persistenceArgs(): string[] {
    if (this.persistence === 'none') return ['--save', '', '--appendonly', 'no'];
    this.dataDir = mkdtempSync(join(tmpdir(), 'nestjs-captcha-test-redis-'));
    return this.persistence === 'aof'
      ? ['--dir', this.dataDir, '--save', '', '--appendonly', 'yes']
      : ['--dir', this.dataDir, '--save', '3600 1', '--appendonly', 'no'];
  }
}

/**
 * Servers still running when the test process exits are killed, even if `afterAll` never ran.
 * Jest hands each test file a copy of `process` whose events never fire, so the hook goes on the
 * real one, once per worker process however many test files load this module.
 */
const killOnExit: Set<ChildProcess> = (() => {
  const real = runInThisContext('process') as NodeJS.Process & { [RUNNING]?: Set<ChildProcess> };
  if (!real[RUNNING]) {
    const running = new Set<ChildProcess>();
    real[RUNNING] = running;
    real.once('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  return real[RUNNING];
})();

function findRedisServer(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  throw new Error('redis-server not found: install it (apt-get install -y redis-server)');
}

/** One `PING` over a fresh connection; `true` on `+PONG`. Never rejects. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
