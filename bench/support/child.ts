import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { CallMessage, ChildMessage, CpuSample, ReadyMessage } from './ipc';

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * The bench's source folder. The bench compiles into `dist/bench` (ignored by ESLint and git
 * like the rest of `dist`); outputs go back under `bench/`.
 */
export const BENCH_ROOT = join(__dirname, '..', '..', '..', 'bench');
/** Each child's stdout/stderr (`bench/logs/<name>.log`) and `--cpu-prof` output. */
export const LOG_DIR = join(BENCH_ROOT, 'logs');
export const PROFILE_DIR = join(BENCH_ROOT, 'profiles');

/** Options of {@link BenchChild.start}. */
export interface ChildOptions {
  /** JSON-serialisable configuration, passed as `BENCH_CONFIG`. */
  config?: unknown;
  /** Extra Node flags, e.g. `--expose-gc`. */
  execArgv?: string[];
  /** Write a V8 CPU profile into `bench/profiles/` when the child stops. */
  cpuProfile?: boolean;
}

/**
 * A child process of the bench (an app under test, the fake provider, a probe), forked from a
 * compiled script in `dist/bench`, talking over IPC. Its output goes to `bench/logs/<name>.log`,
 * so request logs never reach the terminal or cost the runner anything.
 */
export class BenchChild {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
    readonly ready: ReadyMessage,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.on('message', (message: ChildMessage) => {
      if (message.type !== 'reply') return;
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error) waiting.reject(new Error(`${name}: ${message.error}`));
      else waiting.resolve(message.value);
    });
    proc.once('exit', (code, signal) => {
      for (const waiting of this.pending.values()) {
        waiting.reject(new Error(`${name} exited (${code ?? signal}) before answering`));
      }
      this.pending.clear();
    });
  }

  /** Forks the compiled `dist/bench/<script>.js` and resolves once it reports `ready`. */
  static async start(
    name: string,
    script: string,
    options: ChildOptions = {},
  ): Promise<BenchChild> {
    mkdirSync(LOG_DIR, { recursive: true });
    const log = openSync(join(LOG_DIR, `${name}.log`), 'w');
    const execArgv = [...(options.execArgv ?? [])];
    if (options.cpuProfile) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      execArgv.push(
        '--cpu-prof',
        `--cpu-prof-dir=${PROFILE_DIR}`,
        `--cpu-prof-name=${name}.cpuprofile`,
      );
    }
    const proc = fork(join(__dirname, '..', `${script}.js`), [], {
      env: { ...process.env, BENCH_CONFIG: JSON.stringify(options.config ?? {}) },
      execArgv,
      stdio: ['ignore', log, log, 'ipc'],
    });
    closeSync(log);
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms (see bench/logs)`));
      }, START_TIMEOUT_MS);
      const onMessage = (message: ChildMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          proc.off('message', onMessage);
          resolve(message);
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`${name} failed to start: ${message.error}`));
        }
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new Error(`${name} exited with ${code} while starting (see bench/logs/${name}.log)`),
        );
      });
    });
    return new BenchChild(name, proc, ready);
  }

  /** The app's base URL, `http://127.0.0.1:PORT`. */
  get url(): string {
    if (this.ready.port === undefined) throw new Error(`${this.name} listens on no port`);
    return `http://127.0.0.1:${this.ready.port}`;
  }

  /** Calls `method` in the child and resolves with its answer. */
  call<T>(method: string, args?: unknown): Promise<T> {
    const id = this.nextId++;
    const message: CallMessage = { type: 'call', id, method, args };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.proc.send(message, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }

  /** CPU time the child has used so far, user + system, in microseconds. */
  async cpuMicros(): Promise<number> {
    const sample = await this.call<CpuSample>('cpu');
    return sample.user + sample.system;
  }

  /** Stops the child politely (so a CPU profile is written), killing it after 5 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.call('stop').catch(() => undefined);
    await this.exited;
    clearTimeout(timer);
  }
}
