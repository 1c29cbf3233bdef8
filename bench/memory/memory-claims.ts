import { hashStoreKey, MemoryCaptchaStore } from 'nestjs-captcha';
import { randomBytes } from 'node:crypto';
import { failStart, serveCalls } from '../support/ipc';

/** What the runner configures in this probe. */
export interface MemoryProbeConfig {
  tokens: number;
  maxEntries: number;
  checkpointEvery: number;
}

/** One reading after a full garbage collection. */
export interface MemoryReading {
  claimed: number;
  entries: number;
  rssMb: number;
  heapUsedMb: number;
}

const MB = 1024 * 1024;

/**
 * Scenario 6 in its own process (`--expose-gc`): claims distinct reCAPTCHA-sized tokens in the
 * memory store exactly as the verifier does (`hashStoreKey('claim:recaptcha', token)`, 120 s),
 * reading RSS and heap after a full GC at each checkpoint.
 */
async function probe() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}') as MemoryProbeConfig;
  const store = new MemoryCaptchaStore({ maxEntries: config.maxEntries });
  const prefix = `03A${randomBytes(300).toString('base64url')}`;
  const read = (claimed: number): MemoryReading => {
    gc();
    gc();
    const usage = process.memoryUsage();
    return {
      claimed,
      entries: store.size,
      rssMb: usage.rss / MB,
      heapUsedMb: usage.heapUsed / MB,
    };
  };
  const readings: MemoryReading[] = [read(0)];
  const started = performance.now();
  let refused = 0;
  for (let i = 1; i <= config.tokens; i++) {
    const claimed = await store.claim(
      hashStoreKey('claim:recaptcha', `${prefix}${i.toString(36)}`),
      120_000,
    );
    if (!claimed) refused++;
    if (i % config.checkpointEvery === 0) readings.push(read(i));
  }
  const seconds = (performance.now() - started) / 1000;
  return { readings, seconds, refused };
}

try {
  serveCalls({}, { result: probe });
} catch (error) {
  failStart(error);
}
