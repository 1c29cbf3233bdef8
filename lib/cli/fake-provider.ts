import { productionSignal } from '../config/production-environment';
import { FakeCaptchaServer } from '../testing/fake-captcha-server';
import { FAKE_MINT_TOKEN_PATH } from '../testing/fake-mint-request';
import { FAKE_PROVIDER_NAMES, type FakeProviderName } from '../testing/fake-provider';

/**
 * `nestjs-captcha fake-provider --help`.
 *
 * @internal
 */
export const FAKE_PROVIDER_USAGE = `Usage: nestjs-captcha fake-provider [--port <port>] [--host <address>]

fake-provider  Serves every provider's verify endpoint (Turnstile, reCAPTCHA, hCaptcha,
               reCAPTCHA Enterprise, Friendly Captcha, CaptchaLa) on this machine, for running
               an app locally without the real providers. It honours the official test keys,
               mints tokens over HTTP (POST ${FAKE_MINT_TOKEN_PATH}), and prints the variables
               that point an app at it. It refuses to start in production
               (NODE_ENV or CAPTCHA_ENV is production).

Options:
  --port <port>      port to listen on (default 8787; 0 picks a free one)
  --host <address>   address to listen on (default 127.0.0.1: this machine only)
  -h, --help         show this help

Stop it with Ctrl-C or SIGTERM (exit code 0).
`;

/**
 * Where the command writes, what it reads, and (for in-process use) what stops it.
 *
 * @internal
 */
export interface FakeProviderIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Stops the server like SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

const DEFAULT_PORT = 8787;
const DEFAULT_HOST = '127.0.0.1';

class UsageError extends Error {}

function parseArgs(args: readonly string[]): { port: number; host: string; help: boolean } {
  const parsed = { port: DEFAULT_PORT, host: DEFAULT_HOST, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    const value = () => {
      const given = inline ?? args[++i];
      if (given === undefined || given === '') throw new UsageError(`${name} needs a value`);
      return given;
    };
    if (name === '--help' || name === '-h') parsed.help = true;
    else if (name === '--port') {
      const text = value();
      const port = Number(text);
      if (!/^\d+$/.test(text) || port > 65535) {
        throw new UsageError(`--port must be a port number (0-65535), got ${text}`);
      }
      parsed.port = port;
    } else if (name === '--host') parsed.host = value();
    else throw new UsageError(`unknown option or argument: ${arg}`);
  }
  return parsed;
}

/** What the official test keys the fake honours do, for the printed hints. */
const OFFICIAL_TEST_KEYS: Partial<
  Record<FakeProviderName, { siteKey: string; secret: string; passes: string }>
> = {
  turnstile: {
    siteKey: FakeCaptchaServer.testKeys.turnstile.siteKeys.alwaysPasses,
    secret: FakeCaptchaServer.testKeys.turnstile.secrets.alwaysPasses,
    passes: `its token ${FakeCaptchaServer.testKeys.turnstile.dummyToken} always passes`,
  },
  recaptcha: {
    siteKey: FakeCaptchaServer.testKeys.recaptcha.siteKey,
    secret: FakeCaptchaServer.testKeys.recaptcha.secret,
    passes: 'every token passes',
  },
  hcaptcha: {
    siteKey: FakeCaptchaServer.testKeys.hcaptcha.publisher.siteKey,
    secret: FakeCaptchaServer.testKeys.hcaptcha.secret,
    passes: `its token ${FakeCaptchaServer.testKeys.hcaptcha.publisher.token} always passes`,
  },
};

const PROVIDERS = FAKE_PROVIDER_NAMES;

/**
 * The variables that point an app at the fake for `provider`: the fake's own keys, with which
 * minted tokens pass once (expiry, replays, action and hostname judged as the real provider does).
 *
 * @internal
 */
export function fakeProviderEnvironment(
  fake: Pick<FakeCaptchaServer, 'verifyUrl'>,
  provider: FakeProviderName,
): Record<string, string> {
  const env: Record<string, string> = {
    CAPTCHA_PROVIDER: provider,
    CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys[provider],
    CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets[provider],
    CAPTCHA_VERIFY_URL: fake
      .verifyUrl(provider)
      .replace('{projectId}', encodeURIComponent(FakeCaptchaServer.projectId)),
  };
  if (provider === 'recaptcha-enterprise') env.CAPTCHA_PROJECT_ID = FakeCaptchaServer.projectId;
  return env;
}

function banner(fake: FakeCaptchaServer): string {
  const lines = [
    `nestjs-captcha fake provider listening on ${fake.url}`,
    '',
    'Mint a token (its verify endpoint accepts it once, until it expires, as the real one would):',
    `  curl -s ${fake.url}${FAKE_MINT_TOKEN_PATH} -H 'content-type: application/json' \\`,
    `    -d '{"provider":"turnstile","action":"login","hostname":"localhost"}'`,
    '  → {"token":"…"}   (also: score, ttlSeconds, siteKey, cdata, scoreReason, version, captchalaKind)',
    '',
    'Point your app at it, one provider at a time (e.g. paste a block into .env):',
  ];
  for (const provider of PROVIDERS) {
    lines.push('', `# ${provider}`);
    for (const [name, value] of Object.entries(fakeProviderEnvironment(fake, provider))) {
      lines.push(`${name}=${value}`);
    }
    const official = OFFICIAL_TEST_KEYS[provider];
    if (official) {
      lines.push(
        `# or the official test keys, with which the real widget works (${official.passes}):`,
        `#   CAPTCHA_SITE_KEY=${official.siteKey} CAPTCHA_SECRET_KEY=${official.secret}`,
      );
    }
  }
  lines.push(
    '',
    '# altcha: nothing to fake, your app verifies it itself (CAPTCHA_PROVIDER=altcha).',
    '',
    'Stop with Ctrl-C.',
    '',
  );
  return lines.join('\n');
}

/**
 * Runs `nestjs-captcha fake-provider` until SIGINT, SIGTERM or `io.signal`; returns the exit code:
 * `0` stopped cleanly, `1` could not listen, `2` bad usage or production.
 *
 * @internal
 */
export async function runFakeProvider(
  args: readonly string[],
  io: FakeProviderIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`nestjs-captcha fake-provider: ${error.message}\n\n${FAKE_PROVIDER_USAGE}`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(FAKE_PROVIDER_USAGE);
    return 0;
  }
  // The module's production rule: a token minter must never stand in for a real provider there.
  const production = productionSignal({ nodeEnv: io.env.NODE_ENV, captchaEnv: io.env.CAPTCHA_ENV });
  if (production !== undefined) {
    io.stderr.write(
      `nestjs-captcha fake-provider: refuses to start in production (${production}): ` +
        'it passes tokens it mints itself.\n',
    );
    return 2;
  }

  let fake: FakeCaptchaServer;
  try {
    fake = await FakeCaptchaServer.start({
      port: options.port,
      host: options.host,
      recordRequests: false,
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    io.stderr.write(
      `nestjs-captcha fake-provider: cannot listen on ${options.host}:${options.port} (${code})\n`,
    );
    return 1;
  }
  io.stdout.write(banner(fake));

  const stopSignal = await new Promise<string>((resolve) => {
    const stop = (name: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      io.signal?.removeEventListener('abort', onAbort);
      resolve(name);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    const onAbort = () => stop('abort');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (io.signal?.aborted) stop('abort');
    else io.signal?.addEventListener('abort', onAbort, { once: true });
  });
  await fake.close();
  io.stdout.write(`\nnestjs-captcha fake provider stopped (${stopSignal}).\n`);
  return 0;
}
