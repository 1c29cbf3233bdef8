import { ConstantBackoff, handleAll, retry } from 'cockatiel';
import { createHash, hash } from 'node:crypto';
import { isIP } from 'node:net';
import { Agent } from 'node:http';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import { Agent as UndiciAgent } from 'undici';
import { hashStoreKey } from 'nestjs-captcha';
import { dispatchFormPost, httpFormPost } from '../support/raw-posts';
import { median } from '../support/stats';
import { failStart, serveCalls } from '../support/ipc';
import { RECAPTCHA_TEST_SECRET } from '../support/recaptcha-keys';

/**
 * `BENCH_DIAG=1`: what one provider call costs in CPU, transport by transport, in one process
 * against the fake provider in another (50 calls in flight, like scenario 2), and what the two
 * hashing/IP helpers on every guarded request cost. Evidence for the proposed library changes;
 * not a target of the issue.
 */

type ProviderHttpClientModule = typeof import('../../dist/lib/providers/provider-http-client');

/** What the runner configures in this probe. */
export interface TransportProbeConfig {
  verifyUrl: string;
  /** Calls per candidate per round. */
  calls: number;
  rounds: number;
  concurrency: number;
}

/** CPU per call of one transport. */
export interface TransportCost {
  transport: string;
  cpuUsPerCall: number;
  callsPerSecond: number;
}

const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}') as TransportProbeConfig;
const url = new URL(config.verifyUrl);
const packageRoot = join(__dirname, '..', '..', '..');
const retryOnly = retry(handleAll, { maxAttempts: 1, backoff: new ConstantBackoff(25) });

function form(i: number): string {
  return new URLSearchParams({
    secret: RECAPTCHA_TEST_SECRET,
    response: `03A${'x'.repeat(400)}${i}`,
    remoteip: '127.0.0.1',
  }).toString();
}

const candidate = (transport: string, call: (i: number) => Promise<unknown>): Candidate => ({
  transport,
  call,
});

interface Candidate {
  transport: string;
  call: (i: number) => Promise<unknown>;
}

/**
 * Warms every candidate up (JIT, keep-alive pools), then measures them in interleaved rounds
 * (A B C … A B C …), `calls` calls each, so machine noise hits all alike; CPU of this process
 * per call and calls/s, medians over the rounds.
 */
async function measureAll(candidates: Candidate[]): Promise<TransportCost[]> {
  for (const { call } of candidates) await runCalls(call, Math.min(2_000, config.calls));
  const samples = candidates.map(() => [] as { cpu: number; rate: number }[]);
  for (let round = 0; round < config.rounds; round++) {
    for (const [i, { call }] of candidates.entries()) {
      const cpu0 = process.cpuUsage();
      const started = performance.now();
      await runCalls(call, config.calls);
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpu0);
      samples[i].push({
        cpu: (cpu.user + cpu.system) / config.calls,
        rate: config.calls / seconds,
      });
    }
  }
  return candidates.map(({ transport }, i) => ({
    transport,
    cpuUsPerCall: median(samples[i].map((s) => s.cpu)),
    callsPerSecond: median(samples[i].map((s) => s.rate)),
  }));
}

async function runCalls(call: (i: number) => Promise<unknown>, calls: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < calls) await call(next++);
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
}

async function transports(): Promise<TransportCost[]> {
  const candidates: Candidate[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  candidates.push(
    candidate('raw http.request, keep-alive agent (the floor)', (i) =>
      httpFormPost(agent, url, form(i), 3_000).then((text) => JSON.parse(text)),
    ),
  );

  const undici = new UndiciAgent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
  candidates.push(
    candidate('raw undici request, keep-alive Agent (response as a stream)', async (i) => {
      const { body } = await undici.request({
        origin: url.origin,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form(i),
      });
      return body.json();
    }),
  );

  candidates.push(
    candidate('raw undici dispatch, handler object (what the library posts with)', (i) =>
      dispatchFormPost(undici, url, form(i)).then((text) => JSON.parse(text)),
    ),
  );

  // The axios candidates of the first run (see bench/RESULTS.md) went with axios itself.
  candidates.push(
    candidate('raw http.request + cockatiel retry (own timer), abortOnReturn n/a', (i) =>
      retryOnly.execute(() =>
        httpFormPost(agent, url, form(i), 3_000).then((text) => JSON.parse(text)),
      ),
    ),
  );

  // Internal, not in the package's exports: loaded by path, for diagnostics only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ProviderHttpClient } = require(
    join(packageRoot, 'dist/lib/providers/provider-http-client'),
  ) as ProviderHttpClientModule;
  const client = new ProviderHttpClient({
    timeoutMs: 3_000,
  } as ConstructorParameters<typeof ProviderHttpClient>[0]);
  candidates.push(
    candidate('ProviderHttpClient.post as shipped', (i) =>
      client.post({
        provider: 'recaptcha',
        url: url.href,
        body: {
          form: {
            secret: RECAPTCHA_TEST_SECRET,
            response: `03A${'x'.repeat(400)}${i}`,
            remoteip: '127.0.0.1',
          },
        },
      }),
    ),
  );
  const results = await measureAll(candidates);
  await client.onModuleDestroy();
  await undici.close();
  agent.destroy();
  return results;
}

/** Sub-microsecond helpers: ns per call over many calls. */
function micro(): Record<string, number> {
  const n = 200_000;
  const time = (fn: (i: number) => unknown) => {
    for (let i = 0; i < 20_000; i++) fn(i);
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    return Number(process.hrtime.bigint() - started) / n / 1000;
  };
  const ips = ['127.0.0.1', '203.0.113.7', '::ffff:198.51.100.2'];
  return {
    'hashStoreKey (createHash sha256), µs': time((i) => hashStoreKey('failed:login', ips[i % 2])),
    'crypto.hash one-shot sha256, µs': time((i) =>
      hash('sha256', `failed:login\u0000${ips[i % 2]}`, 'base64url'),
    ),
    'createHash sha256 (what hashStoreKey does), µs': time((i) =>
      createHash('sha256')
        .update(ips[i % 2])
        .digest('base64url'),
    ),
    'ipaddr.parse(ip).toString() (resolver normalize), µs': time((i) =>
      ipaddr.parse(ips[i % 3]).toString(),
    ),
    'isIP fast path for canonical IPv4, µs': time((i) =>
      isIP(ips[i % 2]) === 4 ? ips[i % 2] : '',
    ),
  };
}

try {
  serveCalls({}, { result: async () => ({ transport: await transports(), helpers: micro() }) });
} catch (error) {
  failStart(error);
}
