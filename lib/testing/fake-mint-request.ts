import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FAKE_PROVIDER_NAMES,
  type FakeCaptchalaTokenKind,
  type FakeProviderName,
  type IssueTokenOptions,
} from './fake-provider';
import { sendJson } from './fake-json-reply';
import { readRequestBody } from './fake-request-body';

/**
 * The fake server's mint route: `POST` a JSON {@link IssueTokenOptions}, get `{"token": "…"}`, a
 * token the provider's verify route accepts once. For scripts and apps that cannot call
 * `FakeCaptchaServer.issueToken` (`nestjs-captcha fake-provider`).
 *
 * @public
 */
export const FAKE_MINT_TOKEN_PATH = '/__fake/token';

/** Largest body the mint route reads. */
const MAX_MINT_BYTES = 16 * 1024;

const PROVIDERS = FAKE_PROVIDER_NAMES;
const CAPTCHALA_KINDS: readonly FakeCaptchalaTokenKind[] = [
  'pass',
  'offline',
  'client',
  'degraded',
];
const STRING_FIELDS = ['action', 'hostname', 'cdata', 'siteKey', 'invalidReason'] as const;
const NUMBER_FIELDS = ['score', 'ttlSeconds'] as const;

/**
 * Reads a mint request body: the options, or what is wrong with it (a user-facing message).
 *
 * @internal
 */
export function parseMintRequest(text: string): { options: IssueTokenOptions } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: 'send a JSON object, e.g. {"provider":"turnstile","action":"login"}' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: 'send a JSON object, e.g. {"provider":"turnstile","action":"login"}' };
  }
  const fields = body as Record<string, unknown>;
  const provider = fields.provider;
  if (typeof provider !== 'string' || !(PROVIDERS as readonly string[]).includes(provider)) {
    return { error: `provider must be one of ${PROVIDERS.join(', ')}` };
  }
  const options: IssueTokenOptions = { provider: provider as FakeProviderName };
  for (const name of STRING_FIELDS) {
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return { error: `${name} must be a string` };
    options[name] = value;
  }
  for (const name of NUMBER_FIELDS) {
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return { error: `${name} must be a finite number` };
    }
    options[name] = value;
  }
  const { scoreReason, version, captchalaKind } = fields;
  if (scoreReason !== undefined) {
    if (!Array.isArray(scoreReason) || !scoreReason.every((item) => typeof item === 'string')) {
      return { error: 'scoreReason must be an array of strings' };
    }
    options.scoreReason = scoreReason as string[];
  }
  if (version !== undefined) {
    if (version !== 1 && version !== 2) return { error: 'version must be 1 or 2' };
    options.version = version;
  }
  if (captchalaKind !== undefined) {
    if (!(CAPTCHALA_KINDS as readonly unknown[]).includes(captchalaKind)) {
      return { error: `captchalaKind must be one of ${CAPTCHALA_KINDS.join(', ')}` };
    }
    options.captchalaKind = captchalaKind as FakeCaptchalaTokenKind;
  }
  return { options };
}

/**
 * `POST /__fake/token` with a JSON {@link IssueTokenOptions} → `200 {"token": "…"}`, the same as
 * `FakeCaptchaServer.issueToken`; a bad request → 400 `{error, message}`.
 *
 * @internal
 */
export async function handleMintRequest(
  req: IncomingMessage,
  res: ServerResponse,
  issueToken: (options: IssueTokenOptions) => string,
): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    sendJson(res, 405, { error: 'method_not_allowed', message: 'Use POST' });
    return;
  }
  const read = await readRequestBody(req, MAX_MINT_BYTES);
  if (read.tooLarge) {
    sendJson(res, 413, { error: 'payload_too_large', limitBytes: MAX_MINT_BYTES });
    return;
  }
  const parsed = parseMintRequest(read.body.toString('utf8'));
  if ('error' in parsed) {
    sendJson(res, 400, { error: 'bad_request', message: parsed.error });
    return;
  }
  let token: string;
  try {
    token = issueToken(parsed.options);
  } catch (error) {
    if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
    sendJson(res, 400, { error: 'bad_request', message: error.message });
    return;
  }
  sendJson(res, 200, { token });
}
