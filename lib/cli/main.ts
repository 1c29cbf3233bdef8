#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DOCTOR_EXIT_CODES, type DoctorEnvFile, type DoctorEnvironment, runDoctor } from './doctor';
import { DotenvFileError, withDotenvFile } from './dotenv-file';
import { formatDoctorReport, formatDoctorReportJson } from './doctor-report';
import { runFakeProvider } from './fake-provider';

/**
 * `nestjs-captcha --help`.
 *
 * @internal
 */
export const USAGE = `Usage: nestjs-captcha doctor [--json] [--dotenv <path> | --no-dotenv]
       nestjs-captcha --help

doctor  Checks this environment's CAPTCHA configuration the way the app reads it
        (the CAPTCHA_* variables of the README):
        - the variables are valid (the same validation and messages as captchaOptionsFromEnv),
          and none is unknown (a typo such as CAPTCHA_SECERT_KEY: warned, with a did-you-mean);
        - the provider accepts the secret and site key: one verification of a made-up token,
          which it must refuse as a bad token, not as a bad secret; round-trip latency;
        - ALTCHA instead: the HMAC key is set, and a challenge is signed, solved and verified
          locally;
        - no public test key in production (CAPTCHA_ENV=production or NODE_ENV=production);
        - Redis answers (CAPTCHA_STORE=redis);
        and prints the Content-Security-Policy sources the provider's widget needs.

Options:
  --json             print one JSON object (for CI pipelines) instead of the checklist:
                     { ok, exitCode, provider, checks: [{ name, status, message, latencyMs? }],
                       csp, envFile }
  --dotenv <path>    read variables from this .env file instead of ./.env
  --no-dotenv        read the process environment only
                     By default ./.env is read when it exists (the process environment wins
                     over it, as with @nestjs/config), and the report names the file.
  -h, --help         show this help

Exit codes:
  0  every check passed (warnings allowed)
  1  a check failed
  2  bad configuration (a CAPTCHA_* variable is invalid) or bad usage

Secrets, tokens and Redis passwords are never printed.

fake-provider  A local stand-in for every provider's verify endpoint, with official test keys
               and a token mint: nestjs-captcha fake-provider --help
`;

/**
 * Where the CLI writes and what it reads; the process's own by default.
 *
 * @internal
 */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: DoctorEnvironment;
  /** Where `./.env` is looked for; default `process.cwd()`. */
  cwd?: string;
}

interface ParsedArgs {
  command?: string;
  json: boolean;
  help: boolean;
  /** `--dotenv <path>`: the .env file to read instead of ./.env. */
  dotenv?: string;
  /** `--no-dotenv`. */
  noDotenv: boolean;
}

class UsageError extends Error {}

function parseArgs(args: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { json: false, help: false, noDotenv: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') parsed.json = true;
    else if (arg === '--help' || arg === '-h') parsed.help = true;
    else if (arg === '--no-dotenv') parsed.noDotenv = true;
    else if (arg === '--dotenv' || arg.startsWith('--dotenv=')) {
      const path = arg === '--dotenv' ? args[++i] : arg.slice('--dotenv='.length);
      if (path === undefined || path === '') throw new UsageError('--dotenv needs a path');
      parsed.dotenv = path;
    } else if (arg === '--env-file' || arg.startsWith('--env-file=')) {
      // Node 20 reads --env-file itself even after the script name (and exits with code 9 when
      // the file is missing, before this code runs), so the option cannot work reliably here.
      throw new UsageError(
        '--env-file is a Node.js option (Node 20 reads it itself and exits with code 9 when ' +
          'the file is missing): use --dotenv <path> (./.env is read by default)',
      );
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option: ${arg}`);
    else if (parsed.command === undefined) parsed.command = arg;
    else throw new UsageError(`unexpected argument: ${arg}`);
  }
  if (parsed.noDotenv && parsed.dotenv !== undefined) {
    throw new UsageError('--dotenv and --no-dotenv exclude each other');
  }
  return parsed;
}

/**
 * The .env file to read: `--dotenv`'s, else `./.env` when it exists (as `ConfigModule.forRoot()`
 * reads it), none with `--no-dotenv`.
 */
function dotenvPath(parsed: ParsedArgs, cwd: string): string | undefined {
  if (parsed.noDotenv) return undefined;
  if (parsed.dotenv !== undefined) return resolve(cwd, parsed.dotenv);
  const path = resolve(cwd, '.env');
  return existsSync(path) ? path : undefined;
}

/**
 * Runs the CLI with `args` (without `node` and the script) and returns the exit code: `0` every
 * check passed, `1` a check failed, `2` bad configuration or usage.
 *
 * @internal
 */
export async function main(
  args: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  // A long-running command with its own options; it returns when stopped.
  if (args[0] === 'fake-provider') return runFakeProvider(args.slice(1), io);
  let parsed: ParsedArgs;
  let env = io.env;
  let envFile: DoctorEnvFile | undefined;
  try {
    parsed = parseArgs(args);
    if (parsed.help || parsed.command === 'help') {
      io.stdout.write(USAGE);
      return DOCTOR_EXIT_CODES.ok;
    }
    if (parsed.command === undefined) throw new UsageError('no command given');
    if (parsed.command !== 'doctor') throw new UsageError(`unknown command: ${parsed.command}`);
    const path = dotenvPath(parsed, io.cwd ?? process.cwd());
    if (path !== undefined) ({ env, file: envFile } = withDotenvFile(env, path));
  } catch (error) {
    if (error instanceof DotenvFileError) {
      io.stderr.write(`nestjs-captcha: ${error.message}\n`);
      return DOCTOR_EXIT_CODES.badConfiguration;
    }
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`nestjs-captcha: ${error.message}\n\n${USAGE}`);
    return DOCTOR_EXIT_CODES.badConfiguration;
  }

  const report = await runDoctor(env, { envFile });
  io.stdout.write(parsed.json ? formatDoctorReportJson(report) : formatDoctorReport(report));
  return report.exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => exit(code),
    (error: unknown) => {
      // Only the message: a stack or error object could carry configuration details.
      process.stderr.write(
        `nestjs-captcha: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      exit(DOCTOR_EXIT_CODES.checkFailed);
    },
  );
}

/** Exits once output is flushed; a stray handle (a reconnecting client) cannot keep it alive. */
function exit(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}
