import { setTimeout as sleep } from 'node:timers/promises';

/** How long a wait for an event may take before the test is called hung (under testTimeout). */
export const HUNG_AFTER_MS = 5_000;

const POLL_MS = 10;

/**
 * Retries `attempt` until it resolves (an `expect` inside it passes, a call stops rejecting), and
 * returns its value. Waits on the event, not on a duration: the deadline only fails a hung test,
 * with the last error of the attempt.
 */
export async function eventually<T>(
  attempt: () => T | Promise<T>,
  withinMs = HUNG_AFTER_MS,
): Promise<T> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await sleep(POLL_MS);
    }
  }
}

/** Waits until `condition()` holds; fails naming `what` if it never does within `withinMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  withinMs = HUNG_AFTER_MS,
): Promise<void> {
  await eventually(async () => {
    if (!(await condition())) throw new Error(`hung: ${what} did not happen within ${withinMs} ms`);
  }, withinMs);
}

/**
 * Waits until the monotonic clock has passed `at` (a `performance.now()` value): for a test whose
 * subject is a duration (a TTL, a cool-down), anchored to when it started rather than to the
 * previous step, so a slow step is not added twice.
 */
export async function clockPast(at: number): Promise<void> {
  const left = at - performance.now();
  if (left > 0) await sleep(Math.ceil(left) + 1);
}

/**
 * `pending`, or a failure naming `what` if it does not settle within `withinMs`: a guard against
 * a hang (the caller must be answered), not a bound on speed.
 */
export async function answeredWithin<T>(
  pending: Promise<T>,
  what: string,
  withinMs = HUNG_AFTER_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hung: ${what} was not answered within ${withinMs} ms`)),
      withinMs,
    );
  });
  try {
    return await Promise.race([pending, hung]);
  } finally {
    clearTimeout(timer);
  }
}
