import { CaptchaClaimRefusedError, hashStoreKey, MemoryCaptchaStore } from 'nestjs-captcha';
import { randomBytes } from 'node:crypto';
import { failStart, serveCalls } from '../support/ipc';

/** What the runner configures in this probe. */
export interface MemoryProbeConfig {
  tokens: number;
  maxEntries: number;
  maxClaims: number;
  checkpointEvery: number;
}

/** One reading after a full garbage collection. */
export interface MemoryReading {
  claimed: number;
  /** Counters held. */
  entries: number;
  /** Claims held. */
  claims: number;
  /** Claims refused so far (the claim budget full of live claims). */
  refused: number;
  rssMb: number;
  heapUsedMb: number;
}

const MB = 1024 * 1024;

/**
 * Scenario 6 in its own process (`--expose-gc`): for each of `tokens` distinct clients, counts one
 * failure (`failedAttempts`' key, 15 min) and claims one reCAPTCHA-sized token exactly as the
 * verifier does (`hashStoreKey('claim:recaptcha', token)`, 120 s), reading RSS and heap after a
 * full GC at each checkpoint. Counters are evicted past `maxEntries`; live claims never are, so
 * past `maxClaims` they are refused.
 */
async function probe() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}') as MemoryProbeConfig;
  const store = new MemoryCaptchaStore({
    maxEntries: config.maxEntries,
    maxClaims: config.maxClaims,
  });
  const prefix = `03A${randomBytes(300).toString('base64url')}`;
  const read = (claimed: number): MemoryReading => {
    gc();
    gc();
    const usage = process.memoryUsage();
    return {
      claimed,
      entries: store.size,
      claims: store.claimCount,
      refused,
      rssMb: usage.rss / MB,
      heapUsedMb: usage.heapUsed / MB,
    };
  };
  let refused = 0;
  const readings: MemoryReading[] = [read(0)];
  const started = performance.now();
  for (let i = 1; i <= config.tokens; i++) {
    await store.increment(hashStoreKey('failed:login', `198.51.${i}`), 900_000);
    try {
      await store.claim(hashStoreKey('claim:recaptcha', `${prefix}${i.toString(36)}`), 120_000);
    } catch (error) {
      if (!(error instanceof CaptchaClaimRefusedError)) throw error;
      refused++;
    }
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
