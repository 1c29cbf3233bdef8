import { performance } from 'node:perf_hooks';
import type { CaptchaCspDirectives } from '../csp/captcha-csp-directives';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';

// The doctor's vocabulary, in a leaf module: every check family imports it, and `doctor.ts`
// imports every check family, so it cannot live in `doctor.ts` without an import loop.

/**
 * How one check ended: `warn` does not fail the run.
 *
 * @internal
 */
export type DoctorStatus = 'pass' | 'warn' | 'fail';

/**
 * One line of the doctor's checklist.
 *
 * @internal
 */
export interface DoctorCheck {
  /**
   * `configuration`, `variables`, `client-ip`, `test-keys`, `provider`, `altcha-hmac-key`, `altcha-round-trip`,
   * `fallback`, `redis`, `redis-eviction`, `redis-persistence` or `clearance-key`.
   */
  name: string;
  status: DoctorStatus;
  /** What was found; never a secret, a token or a Redis password. */
  message: string;
  /** Round-trip time of the call the check made, in ms. */
  latencyMs?: number;
}

/**
 * The doctor's exit codes: `0` every check passed (warnings allowed), `1` a check failed, `2` bad
 * configuration (a `CAPTCHA_*` variable is invalid) or bad usage.
 *
 * @internal
 */
export const DOCTOR_EXIT_CODES = { ok: 0, checkFailed: 1, badConfiguration: 2 } as const;

/**
 * One of {@link DOCTOR_EXIT_CODES}.
 *
 * @internal
 */
export type DoctorExitCode = (typeof DOCTOR_EXIT_CODES)[keyof typeof DOCTOR_EXIT_CODES];

/**
 * Everything `nestjs-captcha doctor` found; printed as a checklist or, with `--json`, as is.
 *
 * @internal
 */
export interface DoctorReport {
  /** `true` when no check failed (`exitCode` 0). */
  ok: boolean;
  exitCode: DoctorExitCode;
  /** The configured provider; `null` when the configuration could not be read. */
  provider: CaptchaProviderName | null;
  /** The configured fallback provider, if any. */
  fallbackProvider: CaptchaProviderName | null;
  /** `CAPTCHA_ENV=production` or `NODE_ENV=production`. */
  production: boolean;
  checks: DoctorCheck[];
  /** The CSP sources the widget(s) need; `null` when the configuration could not be read. */
  csp: CaptchaCspDirectives | null;
  /** The .env file read besides the process environment; `null` when none was. */
  envFile: DoctorEnvFile | null;
}

/**
 * A .env file the doctor read (the CLI reads `./.env` by default, as `@nestjs/config` does).
 *
 * @internal
 */
export interface DoctorEnvFile {
  /** The file's path, as resolved. */
  path: string;
  /** `CAPTCHA_*` and `NODE_ENV` variables taken from the file (names only, never values). */
  variables: string[];
  /** Those also set in the process environment, which wins over the file. */
  overridden: string[];
}

/**
 * Options of {@link runDoctor}.
 *
 * @internal
 */
export interface DoctorOptions {
  /** How long the Redis check waits for each command, connection included. Default `2000` ms. */
  redisTimeoutMs?: number;
  /** How long solving the ALTCHA test challenge may take. Default `30_000` ms. */
  altchaSolveTimeoutMs?: number;
  /** The .env file `env` includes, to name in the report. */
  envFile?: DoctorEnvFile;
}

/**
 * Environment variables, as `process.env` holds them.
 *
 * @internal
 */
export type DoctorEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * The message of anything thrown.
 *
 * @internal
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Milliseconds since `started` (a `performance.now()`), rounded.
 *
 * @internal
 */
export function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
