/**
 * Shared pieces of the real-browser suites: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), the sample app booted in-process on 127.0.0.1, and the browser client
 * (dist/client) rebuilt when its source is newer.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { AppModule } from '../../sample/app.module';
import { startApp } from '../support/create-app';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');

/** Where screenshots go (gitignored). */
export function artifactPath(name: string): string {
  const dir = join(ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/**
 * Launches Debian's Chromium headless. A missing browser fails the suite with what to do; it is
 * never skipped and never downloaded.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the browser tests need Debian's chromium ` +
        `package (as root: apt-get update && apt-get install -y chromium; .ci/run does this). ` +
        `They never download a browser.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** The newest modification time of the `.ts` files under `dir`. */
function newestSource(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return Math.max(newest, newestSource(path));
    return entry.name.endsWith('.ts') ? Math.max(newest, statSync(path).mtimeMs) : newest;
  }, 0);
}

/**
 * Builds `nestjs-captcha/client` (dist/client: lib/client and the contracts it imports) when it is
 * missing or older than its sources.
 */
export function ensureClientBuilt(): void {
  const sources = ['client', 'contracts'].map((dir) => newestSource(join(ROOT, 'lib', dir)));
  const built = join(ROOT, 'dist', 'client', 'client', 'index.js');
  const marker = join(ROOT, 'dist', 'client', 'package.json');
  if (existsSync(built) && existsSync(marker) && statSync(built).mtimeMs >= Math.max(...sources)) {
    return;
  }
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.client.json')],
    { cwd: ROOT, stdio: 'inherit' },
  );
  writeFileSync(marker, '{"type": "module"}\n');
}

const SAMPLE_VARIABLES = [
  'CAPTCHA_PROVIDER',
  'CAPTCHA_SITE_KEY',
  'CAPTCHA_SECRET_KEY',
  'CAPTCHA_VERIFY_URL',
  'CAPTCHA_STEP_UP_PROVIDER',
  'CAPTCHA_CLEARANCE_TTL',
  'CAPTCHA_CLEARANCE_ACTIONS',
  'CAPTCHA_STEP_UP_SITE_KEY',
  'CAPTCHA_STEP_UP_SECRET_KEY',
  'CAPTCHA_STORE',
  'CAPTCHA_REDIS_URL',
  'SAMPLE_WIDGET_SCRIPT_URL',
];

/** The sample app on Express, listening on 127.0.0.1 with a free port. */
export async function bootSample(
  env: Record<string, string> = {},
): Promise<{ app: INestApplication; url: string }> {
  clearSampleEnv();
  Object.assign(process.env, env);
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = await startApp(moduleRef, 'express');
    return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
  } finally {
    clearSampleEnv();
  }
}

function clearSampleEnv(): void {
  for (const name of SAMPLE_VARIABLES) delete process.env[name];
}

/** The JSON bodies the page posted to `path`, in order. */
export function recordPosts(page: Page, path: string): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  page.on('request', (request: Request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === path) {
      bodies.push(request.postDataJSON() as Record<string, unknown>);
    }
  });
  return bodies;
}

/** Submits the sign-in form and waits until the page shows the outcome (or a widget). */
export async function signIn(page: Page, password: string): Promise<void> {
  await page.fill('#password', password);
  await page.click('#submit');
}

/** Waits for the sign-in form's status line and returns it. */
export async function statusText(page: Page): Promise<string> {
  await page.waitForFunction(() => {
    const status = document.querySelector('#status');
    const submit = document.querySelector<HTMLButtonElement>('#submit');
    return Boolean(status?.textContent) && !submit?.disabled;
  });
  return (await page.textContent('#status')) ?? '';
}

/** Three wrong passwords, each answered 401 on the page (in the page's language). */
export async function failThreeTimes(
  page: Page,
  message: string = 'Wrong email or password.',
): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await signIn(page, 'wrong');
    expect(await statusText(page)).toBe(message);
  }
}

/** A challenge `captchaFetch` met inside the page, as its `onChallenge` handed it over. */
export interface InPageChallenge {
  code: string;
  provider: string;
  siteKey: string | null;
  reason: string | null;
  stepUp: boolean;
  recaptchaMode: string | null;
  answerAs: string;
}

/** What a sign-up through `captchaFetch` inside the page ended with. */
export interface InPageSignUp<K extends keyof InPageChallenge> {
  status: number;
  body: Record<string, unknown>;
  /** Each challenge met, with the fields the test asked for. */
  challenges: Pick<InPageChallenge, K>[];
  /** What page scripts see of the cookies afterwards (never an HttpOnly one). */
  documentCookie: string;
}

/**
 * Signs up (`POST /auth/signup`) with the sample's browser client inside the page, showing the
 * widget section as the page's own script does and recording each challenge met. A string, not
 * a function, is evaluated: ts-jest would compile a function's `import()` into `require`.
 */
export function signUpInPage<K extends keyof InPageChallenge>(
  page: Page,
  options: {
    scriptUrls: Record<string, string>;
    fields: readonly K[];
    email?: string;
    recaptchaMode?: 'score';
  },
): Promise<InPageSignUp<K>> {
  const { scriptUrls, fields, email = 'new@example.com', recaptchaMode } = options;
  const args = JSON.stringify({ scriptUrls, fields, email, recaptchaMode });
  return page.evaluate(`(async () => {
    const { scriptUrls, fields, email, recaptchaMode } = ${args};
    const client = await import('/assets/nestjs-captcha/client/index.js');
    const challenges = [];
    const response = await client.captchaFetch(
      '/auth/signup',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'correct-horse' }),
      },
      {
        scriptUrls,
        ...(recaptchaMode && { recaptchaMode }),
        container: '#captcha-widget',
        onChallenge: (c) => {
          document.getElementById('captcha').hidden = false;
          challenges.push(Object.fromEntries(fields.map((f) => [f, c[f]])));
        },
      },
    );
    return {
      status: response.status,
      body: await response.json(),
      challenges,
      documentCookie: document.cookie,
    };
  })()`) as Promise<InPageSignUp<K>>;
}
