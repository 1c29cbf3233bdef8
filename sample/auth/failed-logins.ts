import type { CaptchaCondition } from 'nestjs-captcha';

const WINDOW_MS = 15 * 60 * 1000;
const THRESHOLD = 3;

/**
 * Failed sign-ins per client IP in a sliding 15-minute window, kept in this process's memory.
 * A stand-in for the library's `failedAttempts()` condition.
 */
export class FailedLogins {
  private readonly failures = new Map<string, number[]>();

  record(ip: string | undefined, now = Date.now()): void {
    const key = ip ?? 'unknown';
    this.failures.set(key, [...this.recent(key, now), now]);
  }

  reset(ip: string | undefined): void {
    this.failures.delete(ip ?? 'unknown');
  }

  /** Forgets every failure (tests). */
  clear(): void {
    this.failures.clear();
  }

  count(ip: string | undefined, now = Date.now()): number {
    return this.recent(ip ?? 'unknown', now).length;
  }

  /** Challenge once an IP has failed `THRESHOLD` times in the window. */
  condition(): CaptchaCondition {
    return (ctx) => this.count(ctx.clientIp) >= THRESHOLD;
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  }
}

/** The sample's one counter, shared by the decorator's condition and the login handler. */
export const failedLogins = new FailedLogins();
