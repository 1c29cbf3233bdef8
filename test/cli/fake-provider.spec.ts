import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { CaptchaModule, captchaOptionsFromEnv, CaptchaVerifier } from 'nestjs-captcha';
import { FakeCaptchaServer, type FakeProviderName } from 'nestjs-captcha/testing';
import { FAKE_PROVIDER_USAGE, runFakeProvider } from '../../lib/cli/fake-provider';
import { main } from '../../lib/cli/main';
import { buildCli } from '../support/build-cli';

const ROOT = join(__dirname, '..', '..');
/** The CLI is compiled here (inside node_modules, so its requires resolve), never into dist/. */
const BUILD_DIR = join(ROOT, 'node_modules', '.cache', `nestjs-captcha-fake-cli-${process.pid}`);

const PROVIDERS: FakeProviderName[] = [
  'turnstile',
  'recaptcha',
  'hcaptcha',
  'recaptcha-enterprise',
  'friendly-captcha',
  'captchala',
];

/** The `# provider` blocks of the banner, as variables. */
function printedEnvironments(output: string): Record<string, Record<string, string>> {
  const blocks: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const line of output.split('\n')) {
    const header = /^# ([a-z-]+)$/.exec(line);
    if (header) blocks[header[1]] = current = {};
    else if (current && /^CAPTCHA_[A-Z_]+=/.test(line)) {
      const at = line.indexOf('=');
      current[line.slice(0, at)] = line.slice(at + 1);
    } else if (line === '') current = undefined;
  }
  return blocks;
}

function listeningUrl(output: string): string {
  const match = /listening on (http:\/\/\S+)/.exec(output);
  if (!match) throw new Error(`no URL in ${output}`);
  return match[1];
}

async function mint(
  url: string,
  body: unknown,
): Promise<{ status: number; body: { token: string } & Record<string, unknown> }> {
  const response = await fetch(`${url}/__fake/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Runs the command in-process until `stop()`; `output` fills as it prints. */
function startInProcess(args: string[], env: Record<string, string | undefined> = {}) {
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  const done = runFakeProvider(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    signal: controller.signal,
  });
  return {
    done,
    output: () => stdout,
    errors: () => stderr,
    stop: () => {
      controller.abort();
      return done;
    },
    async ready() {
      for (let i = 0; i < 200 && !stdout.includes('Stop with Ctrl-C'); i++) {
        if (stderr) throw new Error(stderr);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return stdout;
    },
  };
}

describe('nestjs-captcha fake-provider (in-process)', () => {
  it('points an app at every provider: a minted token verifies once with the printed variables', async () => {
    const cli = startInProcess(['--port', '0']);
    try {
      const output = await cli.ready();
      const url = listeningUrl(output);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const environments = printedEnvironments(output);
      expect(Object.keys(environments)).toEqual(PROVIDERS);

      for (const provider of PROVIDERS) {
        const env = environments[provider];
        expect(env).toMatchObject({
          CAPTCHA_PROVIDER: provider,
          CAPTCHA_VERIFY_URL: expect.stringMatching(new RegExp(`^${url}/`)),
        });
        const moduleRef = await Test.createTestingModule({
          imports: [CaptchaModule.forRoot(captchaOptionsFromEnv({ get: (name) => env[name] }))],
        }).compile();
        const verifier = moduleRef.get(CaptchaVerifier);
        const minted = await mint(url, { provider, action: 'login', hostname: 'localhost' });
        expect(minted.status).toBe(200);
        const first = await verifier.verify(minted.body.token, { action: 'login' });
        expect({ provider, success: first.success, reason: first.reason }).toEqual({
          provider,
          success: true,
          reason: undefined,
        });
        const replay = await verifier.verify(minted.body.token, { action: 'login' });
        expect({ provider, reason: replay.reason }).toEqual({ provider, reason: 'duplicate' });
        await moduleRef.close();
      }
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    expect(cli.output()).toMatch(/stopped \(abort\)/);
  });

  it('honours the official test keys it prints', async () => {
    const cli = startInProcess(['--port=0']);
    try {
      const output = await cli.ready();
      const url = listeningUrl(output);
      const hint =
        /# turnstile[\s\S]*?token (\S+) always passes[\s\S]*?CAPTCHA_SECRET_KEY=(\S+)/.exec(output);
      expect(hint?.[2]).toBe(FakeCaptchaServer.testKeys.turnstile.secrets.alwaysPasses);
      const verdict = await fetch(`${url}/turnstile/v0/siteverify`, {
        method: 'POST',
        body: new URLSearchParams({ secret: hint![2], response: hint![1] }),
      }).then((response) => response.json());
      expect(verdict).toMatchObject({ success: true });
    } finally {
      await cli.stop();
    }
  });

  it('answers a bad mint request with 400 and a message, never a 500', async () => {
    const cli = startInProcess(['--port', '0']);
    try {
      const url = listeningUrl(await cli.ready());
      for (const [body, message] of [
        [{ provider: 'nope' }, /provider must be one of turnstile, recaptcha/],
        [{ provider: 'turnstile', ttlSeconds: -1 }, /ttlSeconds must be a finite number >= 0/],
        [{ provider: 'turnstile', score: 'high' }, /score must be a finite number/],
        [['turnstile'], /send a JSON object/],
      ] as const) {
        const answer = await mint(url, body);
        expect(answer).toEqual({
          status: 400,
          body: { error: 'bad_request', message: expect.stringMatching(message) },
        });
      }
      const notJson = await fetch(`${url}/__fake/token`, { method: 'POST', body: '{' });
      expect(notJson.status).toBe(400);
      expect((await fetch(`${url}/__fake/token`)).status).toBe(405);
    } finally {
      await cli.stop();
    }
  });

  it.each([
    [{ NODE_ENV: 'production' }, /NODE_ENV=production/],
    [{ CAPTCHA_ENV: ' Production ' }, /CAPTCHA_ENV=production/],
  ])('refuses to start in production (%j)', async (env, reason) => {
    let stderr = '';
    const code = await main(['fake-provider', '--port', '0'], {
      stdout: { write: () => undefined },
      stderr: { write: (text: string) => (stderr += text) },
      env,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/refuses to start in production/);
    expect(stderr).toMatch(reason);
  });

  it('rejects bad options with the usage (exit 2), prints help (exit 0)', async () => {
    for (const args of [['--port', 'x'], ['--port', '70000'], ['--port'], ['--nope'], ['extra']]) {
      const cli = startInProcess(args);
      expect(await cli.done).toBe(2);
      expect(cli.errors()).toContain(FAKE_PROVIDER_USAGE);
    }
    const help = startInProcess(['--help']);
    expect(await help.done).toBe(0);
    expect(help.output()).toBe(FAKE_PROVIDER_USAGE);
  });

  it('reports a port in use (exit 1)', async () => {
    const busy = await FakeCaptchaServer.start();
    try {
      const port = new URL(busy.url).port;
      const cli = startInProcess(['--port', port]);
      expect(await cli.done).toBe(1);
      expect(cli.errors()).toMatch(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
    } finally {
      await busy.close();
    }
  });
});

describe('the built CLI: fake-provider', () => {
  beforeAll(async () => {
    await buildCli(BUILD_DIR);
  }, 60_000);

  afterAll(() => rmSync(BUILD_DIR, { recursive: true, force: true }));

  const spawnCli = () => {
    const child = spawn(
      process.execPath,
      [join(BUILD_DIR, 'lib/cli/main.js'), 'fake-provider', '--port', '0'],
      { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const ready = async () => {
      for (let i = 0; i < 500 && !stdout.includes('Stop with Ctrl-C'); i++) {
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      if (!stdout.includes('Stop with Ctrl-C')) throw new Error(`not started: ${stderr}`);
      return stdout;
    };
    return { child, exited, ready, output: () => stdout, errors: () => stderr };
  };

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'serves on 127.0.0.1, mints a token that verifies once with the printed secret, and exits 0 on %s',
    async (signal) => {
      const cli = spawnCli();
      try {
        const output = await cli.ready();
        const url = listeningUrl(output);
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const env = printedEnvironments(output).turnstile;
        const { body } = await mint(url, { provider: 'turnstile', action: 'login' });
        const verify = () =>
          fetch(env.CAPTCHA_VERIFY_URL, {
            method: 'POST',
            body: new URLSearchParams({ secret: env.CAPTCHA_SECRET_KEY, response: body.token }),
          }).then((response) => response.json());
        expect(await verify()).toMatchObject({ success: true, action: 'login' });
        expect(await verify()).toMatchObject({
          success: false,
          'error-codes': ['timeout-or-duplicate'],
        });
      } finally {
        cli.child.kill(signal);
      }
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(cli.output()).toMatch(new RegExp(`stopped \\(${signal}\\)`));
      expect(cli.errors()).toBe('');
    },
    20_000,
  );
});
