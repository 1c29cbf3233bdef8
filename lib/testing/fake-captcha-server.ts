// Over 300 lines: one idea, the fake server's test API (its TSDoc is the user guide) and dispatcher.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeCaptchala, type FakeCaptchalaServerToken } from './fake-captchala';
import { FakeFaultSchedule, type FaultOptions } from './fake-fault';
import { FakeFriendlyCaptcha } from './fake-friendly-captcha';
import { FakeHcaptcha, HCAPTCHA_TEST_KEYS } from './fake-hcaptcha';
import type {
  FakeProvider,
  FakeProviderName,
  FakeVerdict,
  IssueTokenOptions,
} from './fake-provider';
import { RECAPTCHA_TEST_KEYS, FakeRecaptcha } from './fake-recaptcha';
import { FakeRecaptchaEnterprise } from './fake-recaptcha-enterprise';
import { parseFakeRequestBody, readRequestBody } from './fake-request-body';
import { FAKE_MINT_TOKEN_PATH, handleMintRequest } from './fake-mint-request';
import { sendJson } from './fake-json-reply';
import {
  FAKE_PROJECT_ID,
  FAKE_RECAPTCHA_V2_KEYS,
  FAKE_SECRETS,
  FAKE_SITE_KEYS,
} from './fake-provider-keys';
import { FakeTurnstile, TURNSTILE_TEST_KEYS } from './fake-turnstile';
import {
  fakeWidgetScriptUrl,
  handleFakeWidgetRequest,
  type FakeWidgetProvider,
  type FakeWidgetScriptOptions,
} from './fake-widget-scripts';

/**
 * Options for {@link FakeCaptchaServer.start}.
 *
 * @public
 */
export interface FakeCaptchaServerOptions {
  /** The clock (ms since epoch) tokens are issued and judged by; default `Date.now`. */
  now?: () => number;
  /** The port to listen on; default `0`, a random free port. */
  port?: number;
  /** The address to listen on; default `127.0.0.1` (only this machine can reach it). */
  host?: string;
  /**
   * Keep every verify request in {@link FakeCaptchaServer.requests}; default `true`. A long-running
   * server (`nestjs-captcha fake-provider`) turns it off so memory stays flat.
   */
  recordRequests?: boolean;
}

/**
 * One verify request the fake received, for asserting the library's wire format.
 *
 * @public
 */
export interface RecordedRequest {
  provider: FakeProviderName;
  method: string;
  /** The path without query string. */
  path: string;
  /** The path with its query string, as received (reCAPTCHA Enterprise sends `?key=`). */
  url: string;
  /** The raw `content-type` header (`''` when absent). */
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body's fields whatever the encoding (form, multipart or JSON); `null` if unreadable. */
  form: Record<string, string> | null;
  rawBody: string;
}

/** Largest body the fake reads; larger ones get 413. */
const MAX_BODY_BYTES = 1024 * 1024;

const DEFAULT_FAULT_BODY = JSON.stringify({ success: false, 'error-codes': ['internal-error'] });

/**
 * A real local HTTP server speaking the Turnstile, reCAPTCHA and hCaptcha siteverify protocols,
 * reCAPTCHA Enterprise's createAssessment, Friendly Captcha's siteverify (v2 and v1) and
 * CaptchaLa's validate and issue calls, on 127.0.0.1 with a random port. Point a provider's
 * `verifyUrl` at {@link FakeCaptchaServer.verifyUrl}, mint tokens with
 * {@link FakeCaptchaServer.issueToken}, and steer time and failures with {@link FakeCaptchaServer.advanceClock} and
 * {@link FakeCaptchaServer.fault}.
 *
 * @example
 * const server = await FakeCaptchaServer.start();
 * const token = server.issueToken({ provider: 'turnstile', action: 'login' });
 * // configure the library with verifyUrl: server.verifyUrl('turnstile'),
 * // secret: FakeCaptchaServer.secrets.turnstile, then send `token` as the widget would.
 * await server.close();
 *
 * @public
 */
export class FakeCaptchaServer {
  /** The "production" secret the fake accepts per provider; any other non-test secret is invalid. */
  static readonly secrets: Readonly<Record<FakeProviderName, string>> = FAKE_SECRETS;
  /** The "production" site keys matching {@link FakeCaptchaServer.secrets}. */
  static readonly siteKeys: Readonly<Record<FakeProviderName, string>> = FAKE_SITE_KEYS;
  /** The Google Cloud project the reCAPTCHA Enterprise API key may assess in. */
  static readonly projectId = FAKE_PROJECT_ID;
  /**
   * A second reCAPTCHA key pair, v2 checkbox: its tokens (mint with `siteKey` set to its site key)
   * carry no score and verify only with its secret; the `recaptcha-v2` step-up's keys.
   */
  static readonly recaptchaV2Keys: Readonly<{ siteKey: string; secret: string }> =
    FAKE_RECAPTCHA_V2_KEYS;

  /** The providers' official test keys, secrets and dummy tokens, which the fake honours. */
  static readonly testKeys = Object.freeze({
    turnstile: TURNSTILE_TEST_KEYS,
    recaptcha: RECAPTCHA_TEST_KEYS,
    hcaptcha: HCAPTCHA_TEST_KEYS,
  });

  /** Base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Every verify request received (faulted ones included), oldest first. */
  readonly requests: RecordedRequest[] = [];

  private readonly providers: Record<FakeProviderName, FakeProvider>;
  private readonly hcaptcha: FakeHcaptcha;
  private readonly captchala: FakeCaptchala;
  private readonly routes: Map<string, FakeProvider>;
  /** Endpoint name by path: `'verify'`, or a key of the provider's `endpoints`. */
  private readonly endpointNames: Map<string, string>;
  private readonly faults = new FakeFaultSchedule();
  private readonly pendingDelays = new Map<NodeJS.Timeout, () => void>();
  private clockOffsetMs = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly baseNow: () => number,
    private readonly recordRequests: boolean,
  ) {
    const { port, address, family } = server.address() as AddressInfo;
    this.url = `http://${urlHost(address, family)}:${port}`;
    this.hcaptcha = new FakeHcaptcha(
      FakeCaptchaServer.secrets.hcaptcha,
      FakeCaptchaServer.siteKeys.hcaptcha,
    );
    const { secrets, siteKeys } = FakeCaptchaServer;
    this.captchala = new FakeCaptchala(siteKeys.captchala, secrets.captchala);
    this.providers = {
      turnstile: new FakeTurnstile(secrets.turnstile),
      recaptcha: new FakeRecaptcha(secrets.recaptcha, FAKE_RECAPTCHA_V2_KEYS),
      hcaptcha: this.hcaptcha,
      'recaptcha-enterprise': new FakeRecaptchaEnterprise(
        secrets['recaptcha-enterprise'],
        siteKeys['recaptcha-enterprise'],
        FakeCaptchaServer.projectId,
      ),
      'friendly-captcha': new FakeFriendlyCaptcha(
        secrets['friendly-captcha'],
        siteKeys['friendly-captcha'],
      ),
      captchala: this.captchala,
    };
    this.routes = new Map(
      Object.values(this.providers).flatMap((p) =>
        [p.verifyPath, ...Object.values(p.endpoints ?? {})].map((path) => [path, p] as const),
      ),
    );
    this.endpointNames = new Map(
      Object.values(this.providers).flatMap((p) => [
        [p.verifyPath, 'verify'] as const,
        ...Object.entries(p.endpoints ?? {}).map(([name, path]) => [path, name] as const),
      ]),
    );
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => this.answerCrash(res, error));
    });
  }

  /** Starts a server on 127.0.0.1 (or `host`) with a random free port (or `port`). */
  static async start(options: FakeCaptchaServerOptions = {}): Promise<FakeCaptchaServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new FakeCaptchaServer(server, options.now ?? Date.now, options.recordRequests ?? true);
  }

  /**
   * hCaptcha answers a reused token with the legacy `invalid-or-already-seen-response` instead of
   * `already-seen-response`. Configuration: {@link FakeCaptchaServer.reset} leaves it as is.
   */
  get hcaptchaLegacyDuplicateCode(): boolean {
    return this.hcaptcha.legacyDuplicateCode;
  }

  set hcaptchaLegacyDuplicateCode(legacy: boolean) {
    this.hcaptcha.legacyDuplicateCode = legacy;
  }

  /**
   * CaptchaLa server tokens issued since the last reset (`POST /v1/server/challenge/issue`), with
   * what the call asked for, whichever field names it used.
   */
  get captchalaServerTokens(): readonly FakeCaptchalaServerToken[] {
    return this.captchala.serverTokens;
  }

  /**
   * The provider's verify URL on this server, with the real path: `/turnstile/v0/siteverify`,
   * `/recaptcha/api/siteverify`, `/siteverify`, `/v1/projects/{projectId}/assessments`
   * (reCAPTCHA Enterprise: the library fills `{projectId}` from its `projectId` option; the fake
   * accepts {@link FakeCaptchaServer.projectId}), `/api/v2/captcha/siteverify` (Friendly Captcha)
   * or `/v1/validate` (CaptchaLa).
   */
  verifyUrl(provider: FakeProviderName): string {
    return `${this.url}${this.provider(provider).verifyPath}`;
  }

  /**
   * Another endpoint of a provider on this server, by name: Friendly Captcha `'v1'`
   * (`/api/v1/siteverify`); CaptchaLa `'backup'` (`/api/validate`, for `offline_` tokens) and
   * `'issue'` (`/v1/server/challenge/issue`).
   *
   * @throws TypeError when the provider has no endpoint of that name.
   */
  endpointUrl(provider: FakeProviderName, endpoint: string): string {
    const endpoints = this.provider(provider).endpoints ?? {};
    if (!Object.prototype.hasOwnProperty.call(endpoints, endpoint)) {
      throw new TypeError(`Fake provider ${provider} has no endpoint named ${endpoint}`);
    }
    return `${this.url}${endpoints[endpoint]}`;
  }

  /**
   * A stand-in for the provider's browser widget script, served by this server at the real
   * script's path (`/turnstile/v0/api.js`, `/1/api.js`, `/recaptcha/api.js`,
   * `/recaptcha/enterprise.js`), with the same global API (`turnstile.render`, `hcaptcha.render`,
   * `grecaptcha.render/execute`). Its widgets fetch tokens from this server (CORS allowed), minted
   * for their site key and action and the page's hostname, which the verify routes accept once.
   *
   * @example
   * captchaFetch(url, init, { scriptUrls: { turnstile: fake.widgetScriptUrl('turnstile') } });
   */
  widgetScriptUrl(provider: FakeWidgetProvider, options: FakeWidgetScriptOptions = {}): string {
    return fakeWidgetScriptUrl(this.url, provider, options);
  }

  /**
   * Mints a token the provider's route will accept once (before it expires), remembering its issue
   * time on the fake clock and the data to echo.
   *
   * @example
   * server.issueToken({ provider: 'hcaptcha', score: 0.9, scoreReason: ['automation'] });
   */
  issueToken(options: IssueTokenOptions): string {
    return this.provider(options.provider).issueToken(options, this.now());
  }

  /** Moves the fake clock by `ms` (on top of the injected clock or `Date.now`). */
  advanceClock(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`advanceClock needs a finite number, got ${ms}`);
    this.clockOffsetMs += ms;
  }

  /**
   * Injects a fault on `provider`'s routes (all of them, or `fault.endpoint` only); see
   * {@link FaultOptions}.
   *
   * @throws TypeError when the provider has no endpoint named `fault.endpoint`.
   */
  fault(provider: FakeProviderName, fault: FaultOptions): void {
    const fake = this.provider(provider);
    if (fault.endpoint !== undefined && fault.endpoint !== 'verify') {
      this.endpointUrl(provider, fault.endpoint);
    }
    this.faults.add(fake.name, fault);
  }

  /** Removes every injected fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Forgets tokens, idempotency keys, faults, recorded requests and the clock offset. */
  reset(): void {
    for (const provider of Object.values(this.providers)) provider.reset();
    this.faults.clear();
    this.requests.length = 0;
    this.clockOffsetMs = 0;
  }

  /** Stops listening and ends every connection, including keep-alive and hanging ones. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
      for (const [timer, wake] of this.pendingDelays) {
        clearTimeout(timer);
        wake();
      }
      this.pendingDelays.clear();
    });
    return this.closing;
  }

  private now(): number {
    return this.baseNow() + this.clockOffsetMs;
  }

  private provider(name: FakeProviderName): FakeProvider {
    const provider = Object.prototype.hasOwnProperty.call(this.providers, name)
      ? this.providers[name]
      : undefined;
    if (!provider) throw new TypeError(`Unknown fake provider: ${String(name)}`);
    return provider;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    if (path === FAKE_MINT_TOKEN_PATH) {
      await handleMintRequest(req, res, (options) => this.issueToken(options));
      return;
    }
    // Widget scripts and their token endpoint (fake-widget-scripts.ts), before the verify routes.
    if (await handleFakeWidgetRequest(req, res, url, (options) => this.issueToken(options))) return;
    const provider =
      this.routes.get(path) ??
      Object.values(this.providers).find((candidate) => candidate.servesPath?.(path));
    if (!provider) {
      sendJson(res, 404, { error: 'not_found', message: `No fake provider serves ${path}` });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      const refusal = provider.methodNotAllowed?.();
      sendJson(
        res,
        refusal?.status ?? 405,
        refusal?.body ?? { error: 'method_not_allowed', message: 'Use POST' },
      );
      return;
    }
    const read = await readRequestBody(req, MAX_BODY_BYTES);
    if (read.tooLarge) {
      sendJson(res, 413, { error: 'payload_too_large', limitBytes: MAX_BODY_BYTES });
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    const body = parseFakeRequestBody(contentType, read.body);
    const rawBody = read.body.toString('utf8');
    if (this.recordRequests) {
      this.requests.push({
        provider: provider.name,
        method: req.method,
        path,
        url: `${path}${url.search}`,
        contentType,
        headers: { ...req.headers },
        form: body.fields === null ? null : { ...body.fields },
        rawBody,
      });
    }

    const fault = this.faults.take(provider.name, this.endpointNames.get(path) ?? 'verify');
    const answersWithFault = fault?.status !== undefined || fault?.body !== undefined;
    const verdict: FakeVerdict | undefined =
      fault?.hang || fault?.closeConnection || answersWithFault
        ? undefined
        : provider.verify({
            body,
            nowMs: this.now(),
            path,
            query: url.searchParams,
            headers: req.headers,
            rawBody,
          });
    if (fault?.delayMs) await this.delay(fault.delayMs);
    if (res.destroyed || res.writableEnded || this.closing) return;

    if (fault?.hang) return; // close() ends the connection
    if (fault?.closeConnection) {
      req.socket.destroy();
      return;
    }
    if (verdict) {
      sendJson(res, verdict.status, verdict.body);
      return;
    }
    const status = fault?.status ?? 200;
    const faultBody = provider.faultBody ? JSON.stringify(provider.faultBody(status)) : undefined;
    res.writeHead(status, {
      'Content-Type': fault?.contentType ?? 'application/json',
    });
    res.end(fault?.body ?? faultBody ?? DEFAULT_FAULT_BODY);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingDelays.delete(timer);
        resolve();
      }, ms);
      this.pendingDelays.set(timer, resolve);
    });
  }

  private answerCrash(res: ServerResponse, error: unknown): void {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    sendJson(res, 500, { error: 'fake_server_error', message });
  }
}

/** The host part of a URL reaching `address` (an unspecified address: this machine's loopback). */
function urlHost(address: string, family: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return family === 'IPv6' ? `[${address}]` : address;
}
