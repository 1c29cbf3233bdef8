import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IssueTokenOptions } from './fake-provider';
import { readRequestBody } from './fake-request-body';
import {
  FAKE_WIDGET_TOKEN_PATH,
  type FakeWidgetProvider,
  fakeWidgetScript,
} from './fake-widget-script-source';

export { FAKE_WIDGET_TOKEN_PATH, type FakeWidgetProvider } from './fake-widget-script-source';

/**
 * How a fake widget behaves, chosen by query parameters of its script URL.
 *
 * @public
 */
export interface FakeWidgetScriptOptions {
  /**
   * `true`: the widget shows a "Verify" button the user (the test) clicks before a token is
   * handed out. Default `false`: it verifies by itself, like an invisible or managed widget.
   */
  interactive?: boolean;
  /** reCAPTCHA v3 / Enterprise: the score of the tokens `execute()` hands out (default 0.9). */
  score?: number;
}

/**
 * Where the fake serves each widget script: the real script's path.
 *
 * @internal
 */
export const FAKE_WIDGET_SCRIPT_PATHS: Readonly<Record<FakeWidgetProvider, string>> = Object.freeze(
  {
    turnstile: '/turnstile/v0/api.js',
    hcaptcha: '/1/api.js',
    recaptcha: '/recaptcha/api.js',
    'recaptcha-enterprise': '/recaptcha/enterprise.js',
  },
);

const WIDGET_PROVIDERS = Object.keys(FAKE_WIDGET_SCRIPT_PATHS) as FakeWidgetProvider[];
const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

/**
 * The URL of a fake widget script on a fake server at `baseUrl`.
 *
 * @internal
 */
export function fakeWidgetScriptUrl(
  baseUrl: string,
  provider: FakeWidgetProvider,
  options: FakeWidgetScriptOptions = {},
): string {
  if (!WIDGET_PROVIDERS.includes(provider)) {
    throw new TypeError(`No fake widget script for provider: ${String(provider)}`);
  }
  const url = new URL(FAKE_WIDGET_SCRIPT_PATHS[provider], baseUrl);
  if (options.interactive) url.searchParams.set('interactive', '1');
  if (options.score !== undefined) url.searchParams.set('score', String(options.score));
  return url.href;
}

/**
 * Serves the fake widget scripts and their token endpoint. Answers and returns `true` when the
 * request is one of them, `false` otherwise (the caller goes on with the verify routes).
 * `issue` mints tokens exactly as `FakeCaptchaServer.issueToken` does, so the fake verify
 * endpoints accept them once.
 *
 * @internal
 */
export async function handleFakeWidgetRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  issue: (options: IssueTokenOptions) => string,
): Promise<boolean> {
  const provider = WIDGET_PROVIDERS.find((name) => FAKE_WIDGET_SCRIPT_PATHS[name] === url.pathname);
  if (provider) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'application/json', JSON.stringify({ error: 'method_not_allowed' }));
      return true;
    }
    send(res, 200, 'text/javascript; charset=utf-8', fakeWidgetScript(provider));
    return true;
  }
  if (url.pathname !== FAKE_WIDGET_TOKEN_PATH) return false;

  if (req.method === 'OPTIONS') {
    send(res, 204, undefined, '');
    return true;
  }
  if (req.method !== 'POST') {
    send(res, 405, 'application/json', JSON.stringify({ error: 'method_not_allowed' }));
    return true;
  }
  const read = await readRequestBody(req, MAX_TOKEN_REQUEST_BYTES);
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = read.tooLarge ? null : JSON.parse(read.body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  const asked = body.provider as FakeWidgetProvider;
  if (!WIDGET_PROVIDERS.includes(asked)) {
    send(res, 400, 'application/json', JSON.stringify({ error: 'unknown_provider' }));
    return true;
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const score = typeof body.score === 'number' ? body.score : undefined;
  const token = issue({
    provider: asked,
    action: text(body.action) ?? '',
    hostname: text(body.hostname) ?? 'localhost',
    // Turnstile and reCAPTCHA ignore it; hCaptcha and reCAPTCHA Enterprise check it.
    ...(text(body.sitekey) ? { siteKey: text(body.sitekey) } : {}),
    ...(score !== undefined ? { score } : {}),
  });
  send(res, 200, 'application/json', JSON.stringify({ token }));
  return true;
}

function send(res: ServerResponse, status: number, type: string | undefined, body: string): void {
  res.writeHead(status, {
    ...(type ? { 'Content-Type': type } : {}),
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'content-type',
    'Access-Control-Max-Age': '600',
  });
  res.end(body);
}
