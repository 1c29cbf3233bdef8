import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..');

/**
 * Compiles the CLI (`lib/cli/main.ts` and what it imports) into `buildDir`, which should sit
 * inside `node_modules` so its requires resolve, and never into `dist/`. Resolves with the path
 * of the runnable `main.js`. Emit only: type checking is `tsc --noEmit`'s job, and it doubles
 * the time.
 */
export async function buildCli(buildDir: string): Promise<string> {
  mkdirSync(buildDir, { recursive: true });
  const tsconfig = join(buildDir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: {
        rootDir: ROOT,
        outDir: buildDir,
        declaration: false,
        declarationMap: false,
        sourceMap: false,
        noCheck: true,
      },
      files: [join(ROOT, 'lib/cli/main.ts')],
      include: [],
    }),
  );
  await promisify(execFile)(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', tsconfig],
    { cwd: ROOT },
  );
  return join(buildDir, 'lib/cli/main.js');
}
