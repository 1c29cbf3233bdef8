import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { percentile } from './stats';

/** One load run against one URL. */
export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  /** JSON body sent as is (POST). */
  body?: string;
  /**
   * Send a distinct reCAPTCHA-sized token (about 400 characters, like Google's) in
   * `g-recaptcha-response` with every request, so a single-use claim never refuses one.
   */
  freshTokens?: boolean;
  /** Requests per second over all connections; unlimited when absent. */
  overallRate?: number;
}

/** What a load run measured, from the load generator's side. */
export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles in ms over every response (any status), sub-millisecond precision. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

/** A JSON body carrying `token` where the reCAPTCHA widget puts it. */
export function tokenBody(token: string): string {
  return `{"g-recaptcha-response":"${token}"}`;
}

/** A new random token prefix; `prefix + n` is a distinct token per request. */
export function tokenPrefix(): string {
  return `03A${randomBytes(300).toString('base64url')}`;
}

/**
 * Runs autocannon (programmatic API) in this process. Latency is recorded from autocannon's own
 * per-response timings (hrtime, fractional ms) rather than its histogram, which rounds to whole
 * milliseconds and leaves out non-2xx answers (refusals are the point of two scenarios).
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const prefix = tokenPrefix();
  let sequence = 0;
  const headers = { 'content-type': 'application/json', 'user-agent': 'nestjs-captcha-bench' };
  const options: autocannon.Options = {
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    method: 'POST',
    headers,
    timeout: 10,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
    ...(spec.freshTokens
      ? {
          requests: [
            {
              method: 'POST',
              headers,
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                body: tokenBody(`${prefix}${(sequence++).toString(36)}`),
              }),
            },
          ],
        }
      : { body: spec.body ?? '{}' }),
  };
  return new Promise<LoadResult>((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(options, (error, result) => {
      if (error) {
        reject(error);
        return;
      }
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      resolve({
        requests: latencies.length,
        seconds,
        rps: latencies.length / seconds,
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? 0,
        statuses,
        errors: result.errors,
        timeouts: result.timeouts,
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
}
