#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import * as util from 'node:util';
import { DOCTOR_EXIT_CODES, type DoctorEnvironment, runDoctor } from './doctor';
import { formatDoctorReport, formatDoctorReportJson } from './doctor-report';
import { runFakeProvider } from './fake-provider';

/** `nestjs-captcha --help`. */
export const USAGE = `Usage: nestjs-captcha doctor [--json] [--env-file <path>]
       nestjs-captcha --help

doctor  Checks this environment's CAPTCHA configuration the way the app reads it
        (the CAPTCHA_* variables of the README):
        - the variables are valid (the same validation and messages as captchaOptionsFromEnv);
        - the provider accepts the secret and site key: one verification of a made-up token,
          which it must refuse as a bad token, not as a bad secret; round-trip latency;
        - ALTCHA instead: the HMAC key is set, and a challenge is signed, solved and verified
          locally;
        - no public test key in production (CAPTCHA_ENV=production or NODE_ENV=production);
        - Redis answers (CAPTCHA_STORE=redis);
        and prints the Content-Security-Policy sources the provider's widget needs.

Options:
  --json             print one JSON object (for CI pipelines) instead of the checklist:
                     { ok, exitCode, provider, checks: [{ name, status, message, latencyMs? }], csp }
  --env-file <path>  also read variables from a .env file (the environment wins)
  -h, --help         show this help

Exit codes:
  0  every check passed (warnings allowed)
  1  a check failed
  2  bad configuration (a CAPTCHA_* variable is invalid) or bad usage

Secrets, tokens and Redis passwords are never printed.

fake-provider  A local stand-in for every provider's verify endpoint, with official test keys
               and a token mint: nestjs-captcha fake-provider --help
`;

/** Where the CLI writes and what it reads; the process's own by default. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: DoctorEnvironment;
}

interface ParsedArgs {
  command?: string;
  json: boolean;
  help: boolean;
  envFile?: string;
}

class UsageError extends Error {}

function parseArgs(args: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { json: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') parsed.json = true;
    else if (arg === '--help' || arg === '-h') parsed.help = true;
    else if (arg === '--env-file') {
      const path = args[++i];
      if (path === undefined || path === '') throw new UsageError('--env-file needs a path');
      parsed.envFile = path;
    } else if (arg.startsWith('--env-file=')) {
      const path = arg.slice('--env-file='.length);
      if (path === '') throw new UsageError('--env-file needs a path');
      parsed.envFile = path;
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option: ${arg}`);
    else if (parsed.command === undefined) parsed.command = arg;
    else throw new UsageError(`unexpected argument: ${arg}`);
  }
  return parsed;
}

/** Reads a .env file with Node's own parser (Node 20.12+); the environment wins over it. */
function withEnvFile(env: DoctorEnvironment, path: string): DoctorEnvironment {
  const parseEnv = (util as { parseEnv?: (content: string) => Record<string, string | undefined> })
    .parseEnv;
  if (typeof parseEnv !== 'function') {
    throw new UsageError('--env-file needs Node.js 20.12 or later');
  }
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new UsageError(`--env-file: cannot read ${path} (${code})`);
  }
  return { ...parseEnv(content), ...env };
}

/**
 * Runs the CLI with `args` (without `node` and the script) and returns the exit code: `0` every
 * check passed, `1` a check failed, `2` bad configuration or usage.
 */
export async function main(
  args: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  // A long-running command with its own options; it returns when stopped.
  if (args[0] === 'fake-provider') return runFakeProvider(args.slice(1), io);
  let parsed: ParsedArgs;
  let env = io.env;
  try {
    parsed = parseArgs(args);
    if (parsed.help || parsed.command === 'help') {
      io.stdout.write(USAGE);
      return DOCTOR_EXIT_CODES.ok;
    }
    if (parsed.command === undefined) throw new UsageError('no command given');
    if (parsed.command !== 'doctor') throw new UsageError(`unknown command: ${parsed.command}`);
    if (parsed.envFile !== undefined) env = withEnvFile(env, parsed.envFile);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`nestjs-captcha: ${error.message}\n\n${USAGE}`);
    return DOCTOR_EXIT_CODES.badConfiguration;
  }

  const report = await runDoctor(env);
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
