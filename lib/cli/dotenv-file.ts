import { readFileSync } from 'node:fs';
import * as util from 'node:util';
import type { DoctorEnvFile, DoctorEnvironment } from './doctor';

/**
 * A .env file that could not be read, with a message fit for the user (no file content).
 *
 * @internal
 */
export class DotenvFileError extends Error {}

/** Variables the doctor says it took from a file: the ones the configuration reads. */
const REPORTED = /^(captcha_|node_env$)/i;

/**
 * Reads `path` as a .env file with Node's own parser (`util.parseEnv`, Node 20.12+) and returns
 * `env` over it: as with `ConfigModule.forRoot()` of `@nestjs/config`, a variable of the process
 * environment wins over the file's. `file` names what came from where (names only, never values).
 *
 * @throws {DotenvFileError} when the file cannot be read.
 *
 * @internal
 */
export function withDotenvFile(
  env: DoctorEnvironment,
  path: string,
): { env: DoctorEnvironment; file: DoctorEnvFile } {
  const parseEnv = (util as { parseEnv?: (content: string) => Record<string, string | undefined> })
    .parseEnv;
  if (typeof parseEnv !== 'function') {
    throw new DotenvFileError('reading a .env file needs Node.js 20.12 or later');
  }
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new DotenvFileError(`cannot read ${path} (${code})`);
  }
  const fromFile = parseEnv(content);
  const names = Object.keys(fromFile).filter((name) => REPORTED.test(name));
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return {
    env: merged,
    file: {
      path,
      variables: names.filter((name) => env[name] === undefined).sort(),
      overridden: names.filter((name) => env[name] !== undefined).sort(),
    },
  };
}
