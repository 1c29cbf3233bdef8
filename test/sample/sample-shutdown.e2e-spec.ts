/**
 * `npm run sample` runs `node dist/sample/main.js`: the built sample, started as a process of its
 * own, prints its PID and stops on Ctrl-C (SIGINT) or a kill of that PID (SIGTERM), closing its
 * port, within a few seconds.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'sample', 'main.js');

/** Builds the package (dist/lib, dist/sample) when the sample's entry is missing or stale. */
function ensureBuilt(): void {
  if (
    existsSync(MAIN) &&
    statSync(MAIN).mtimeMs >= statSync(join(ROOT, 'sample', 'main.ts')).mtimeMs
  ) {
    return;
  }
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * Starts the built sample on a free port; resolves once it printed where it listens. `underNpm`:
 * started as `npm run sample` starts it, by a parent process (a stand-in for npm and its shell)
 * that dies on a signal without passing it on.
 */
function startSample(underNpm = false): Promise<{
  child: ChildProcess;
  port: number;
  pid: number;
  output: () => string;
}> {
  const args = underNpm
    ? [
        '-e',
        `require('node:child_process').spawn(process.execPath, [${JSON.stringify(MAIN)}], { stdio: 'inherit' }); setInterval(() => {}, 1000);`,
      ]
    : [MAIN];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      NO_COLOR: '1',
      ...(underNpm ? { npm_lifecycle_event: 'sample' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line in 20 s:\n${output}`)),
      20_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on http:\/\/localhost:(\d+) \(pid (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), pid: Number(match[2]), output: () => output });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the sample exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

function exited(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(
      () => reject(new Error(`still running ${ms} ms after the signal`)),
      ms,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the built sample (node dist/sample/main.js) stops on a signal', () => {
  const started: ChildProcess[] = [];

  beforeAll(() => {
    ensureBuilt();
  }, 240_000);

  afterAll(() => {
    // Only if a test failed before its signal: never leave a server behind.
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('under npm, a SIGTERM to npm (which does not pass it on to node) stops the server too', async () => {
    const { child: npm, port, pid } = await startSample(true);
    started.push(npm);
    expect(pid).not.toBe(npm.pid);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    npm.kill('SIGTERM');
    await exited(npm, 5_000);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && alive(pid)) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    expect(alive(pid)).toBe(false);
    expect(await listening(port)).toBe(false);
  }, 30_000);

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'prints its PID, and %s closes the port and ends the process within 5 s',
    async (signal) => {
      const { child, port, pid, output } = await startSample();
      started.push(child);
      expect(pid).toBe(child.pid);
      expect(output()).toContain(`kill ${pid}`);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);

      process.kill(pid, signal);
      const { code, signal: endedBy } = await exited(child, 5_000);
      // Ended by the signal itself (after app.close()), as a shell expects of Ctrl-C.
      expect({ code, signal: endedBy }).toEqual({ code: null, signal });
      expect(await listening(port)).toBe(false);
    },
    30_000,
  );
});
