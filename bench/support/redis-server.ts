import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';

const HOST = '127.0.0.1';

/**
 * A throw-away `redis-server` on a free 127.0.0.1 port (no persistence), for the Redis store
 * scenario. The binary must be installed (`apt-get install -y redis-server`).
 */
export class BenchRedisServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<BenchRedisServer> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'],
      { cwd: tmpdir(), stdio: 'ignore' },
    );
    let failure: Error | undefined;
    child.once('error', (error) => (failure = error));
    child.once('exit', (code) => (failure ??= new Error(`redis-server exited with ${code}`)));
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + 5_000;
    while (!(await answersPing(port))) {
      if (failure) throw new Error(`redis-server did not start: ${failure.message}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('redis-server did not answer PING within 5 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return new BenchRedisServer(child, port);
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  /** Stops the server (SIGTERM) and waits until it has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean) => {
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
