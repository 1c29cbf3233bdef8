import type { CaptchaRedisClient } from '../config/captcha-module-options.interface';

/**
 * The command that takes back a write whose caller was told it failed, sent on the same client.
 *
 * @internal
 */
export type UndoLateWrite = (client: CaptchaRedisClient) => Promise<unknown>;

/** ioredis's own `commandTimeout` rejection: the command was sent and may still run. */
const IOREDIS_TIMEOUT = 'Command timed out';

/**
 * Whether a command that rejected with `error` after it was sent may still run: it timed out
 * (the store's deadline, or ioredis's `commandTimeout`) while Redis was frozen or slow, so Redis
 * holds it and will run it when it resumes. A refusal Redis sent back (`OOM`, `WRONGTYPE`) means
 * it did not run; a dropped connection leaves it unknown, and the undo could not follow it on the
 * same connection anyway.
 *
 * @internal
 */
export function mayRunLate(error: unknown, timedOut: boolean): boolean {
  return timedOut || (error instanceof Error && error.message === IOREDIS_TIMEOUT);
}

/**
 * Queues `undo` on the client that sent the timed-out write. A connection is one ordered stream
 * and Redis runs each connection's commands in order, so the undo runs right after the late
 * write when Redis resumes, or not at all if the write never runs (the connection dropped first).
 * The same holds for a client that queued both offline. The undo's own outcome is ignored: it is
 * safe to lose (the write was lost too) and never worth a caller's wait.
 *
 * @internal
 */
export function undoLateWrite(client: CaptchaRedisClient, undo: UndoLateWrite): void {
  try {
    undo(client).catch(() => undefined);
  } catch {
    // Refused at once: the connection the write went out on is gone, and with it the order the
    // undo relied on. The write then ran before the drop, or never (README: store outages).
  }
}
