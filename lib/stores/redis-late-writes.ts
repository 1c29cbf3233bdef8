import type { CaptchaRedisClient } from '../config/captcha-module-options.interface';

/** ioredis's own `commandTimeout` rejection: the command was sent and may still run. */
const IOREDIS_TIMEOUT = 'Command timed out';

/**
 * Whether a command that rejected with `error` after it was sent may still run: ioredis's own
 * `commandTimeout` fired (the store's own deadline is handled where it fires) while Redis was
 * frozen or slow, so Redis holds it and will run it when it resumes. A refusal Redis sent back
 * (`OOM`, `WRONGTYPE`) means it did not run; a dropped connection leaves it unknown, and the undo
 * could not follow it on the same connection anyway.
 *
 * @internal
 */
export function mayRunLate(error: unknown): boolean {
  return error instanceof Error && error.message === IOREDIS_TIMEOUT;
}

/**
 * Queues the undo (`script` on `key`, with `value` if any) on the client that sent the timed-out
 * write. A connection is one ordered stream and Redis runs each connection's commands in order,
 * so the undo runs right after the late write when Redis resumes, or not at all if the write
 * never runs (the connection dropped first). The same holds for a client that queued both
 * offline. Nobody waits for the undo, and its failure is ignored.
 *
 * @internal
 */
export function undoLateWrite(
  client: CaptchaRedisClient,
  script: string,
  key: string,
  value: string | undefined,
): void {
  try {
    const undo =
      value === undefined ? client.eval(script, 1, key) : client.eval(script, 1, key, value);
    undo.catch(() => undefined);
  } catch {
    // Refused at once: the connection the write went out on is gone, and with it the order the
    // undo relied on. The write then ran before the drop, or never (README: store outages).
  }
}
