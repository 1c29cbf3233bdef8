import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './eventually';
import { freePort } from './free-port';

const HOST = '127.0.0.1';
const READY_WITHIN_MS = 20_000;
const STOP_WITHIN_MS = 5_000;

/** Options of {@link PrometheusServer.start}. */
export interface PrometheusServerOptions {
  /** Rule files to load (absolute paths). */
  ruleFiles: string[];
  /** `host:port` targets scraped at `/metrics`. */
  targets: string[];
  /** Scrape and rule evaluation interval; default `1s` so a test sees alerts in seconds. */
  interval?: string;
}

/** The JSON envelope of Prometheus's HTTP API. */
export interface PrometheusAnswer<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
}

/**
 * A real `prometheus` (Debian's package) on 127.0.0.1, on a free port, with its data in a
 * temporary directory removed by `stop()`. Missing binary is an error, never a skip.
 *
 * @example
 * ```ts
 * const prometheus = await PrometheusServer.start({ ruleFiles: [rules], targets: ['127.0.0.1:3000'] });
 * const alerts = await prometheus.api('/api/v1/alerts');
 * await prometheus.stop();
 * ```
 */
export class PrometheusServer {
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts Prometheus with `options` and waits until it is ready (`/-/ready`). */
  static async start(options: PrometheusServerOptions): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'nestjs-captcha-prometheus-'));
    const interval = options.interval ?? '1s';
    const config = join(dir, 'prometheus.yml');
    // JSON is YAML: no YAML writer needed.
    writeFileSync(
      config,
      JSON.stringify({
        global: { scrape_interval: interval, evaluation_interval: interval },
        rule_files: options.ruleFiles,
        scrape_configs: [
          {
            job_name: 'app',
            scrape_timeout: interval,
            static_configs: [{ targets: options.targets }],
          },
        ],
      }),
    );
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=${HOST}:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    try {
      await spawned;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `prometheus could not start (${(error as Error).message}): install Debian's prometheus package`,
      );
    }
    const server = new PrometheusServer(`http://${HOST}:${port}`, child, dir);
    try {
      await until(
        async () => {
          if (child.exitCode !== null) throw new Error(`prometheus exited:\n${server.output}`);
          return (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.ok === true;
        },
        'prometheus ready',
        READY_WITHIN_MS,
      );
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** GET on the HTTP API (`/api/v1/…`), with `params` as the query string. */
  async api<T>(path: string, params: Record<string, string> = {}): Promise<PrometheusAnswer<T>> {
    const query = new URLSearchParams(params).toString();
    const res = await fetch(`${this.url}${path}${query ? `?${query}` : ''}`);
    return (await res.json()) as PrometheusAnswer<T>;
  }

  /** What Prometheus wrote to stdout and stderr, for a failing test's message. */
  get log(): string {
    return this.output;
  }

  /** Stops Prometheus (SIGTERM, then SIGKILL) and removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_WITHIN_MS);
      await this.exited;
      clearTimeout(killer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
