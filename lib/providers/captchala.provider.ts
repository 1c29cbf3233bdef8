import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type {
  CaptchaProvider,
  ProviderEndpoint,
  ProviderReply,
  ProviderVerifyRequest,
} from './captcha-provider.interface';
import type { ErrorCodeMeaning } from './error-code-map';
import {
  CAPTCHALA_ERROR_CODES,
  readCaptchalaValidation,
  refuseRejectedKeys,
} from './captchala-reply';
import type { ProviderHttpClient } from './provider-http-client';
import { finiteNumber, isClientErrorStatus, isRecord } from './reply-fields';
import { resolveSecret } from './resolve-secret';

/**
 * CaptchaLa's validate endpoint.
 *
 * @internal
 */
export const CAPTCHALA_VERIFY_URL = 'https://apiv1.captcha.la/v1/validate';

/**
 * Where `offline_` tokens are validated.
 *
 * @internal
 */
export const CAPTCHALA_BACKUP_URL = 'https://fallbackapiv1.captchala.com/api/validate';

const VALIDATE_PATH = '/v1/validate';
const ISSUE_PATH = '/v1/server/challenge/issue';

/**
 * What {@link CaptchalaProvider.issueChallenge} asks CaptchaLa for.
 *
 * @public
 */
export interface CaptchalaChallengeOptions {
  /** The scene the token is for, compared with `data.action` on validation. */
  action: string;
  /** Lifetime of the server token in seconds (CaptchaLa's default when absent). */
  ttl?: number;
  /** How many challenges the server token may start. */
  maxUses?: number;
  /** Bind the token to this client IP. */
  bindIp?: string;
  /** Bind the token to this user id; validation returns it in `data.uid`. */
  bindUid?: string;
}

/**
 * A CaptchaLa server token (`sct_…`) for the browser SDK to start a challenge with.
 *
 * @public
 */
export interface CaptchalaServerToken {
  serverToken: string;
  /** Seconds the token stays usable, as CaptchaLa reported it. */
  expiresIn?: number;
  /** When it was issued, in Unix seconds, as CaptchaLa reported it. */
  issuedAt?: number;
}

/**
 * CaptchaLa (`POST /v1/validate`, JSON `{pass_token, client_ip}`, headers `X-App-Key` = site key
 * and `X-App-Secret` = secret key). A token passes only on `code: 0` with `data.valid: true`; an
 * envelope without `data.valid` is unreadable (an outage), never a pass.
 *
 * - `data.captcha_args.risk_score` (0–100, higher is riskier) becomes `score = 1 - risk / 100`,
 *   held to `minScore` like every score; `solved_at` is the challenge time, the `referer`'s host
 *   the hostname, and `data.action` the action (a token without one cannot match an expected one).
 * - Token prefixes: `offline_` goes to `captchala.backupUrl` (its own circuit: the client picks
 *   it); `client_` tokens cannot be verified and are `invalid` unless
 *   `captchala.acceptClientTokens`; a `degraded` answer (`dg_` tokens) is refused as an outage of
 *   this request (kind `degraded`, never counted against a circuit, never failed open) unless
 *   `captchala.acceptDegraded`. Accepted ones carry `degraded: true`, and the verifier lets them
 *   pass only where the caller allows degraded replies (the guard: `failureMode: 'open'`).
 * - HTTP 401/403 means our keys are refused (`misconfigured`). CaptchaLa documents no status
 *   codes, so the rest is a judgement: any other 4xx with a readable refusal envelope (`code != 0`
 *   or `data.valid: false`) is a verdict on the token (an unknown code reads `invalid`), and a 4xx
 *   we cannot read is `misconfigured`; neither is an outage, since a client's junk token can
 *   provoke them. 429 (rate limited), 5xx and unreadable 2xx answers are outages.
 *
 * @internal
 */
export class CaptchalaProvider implements CaptchaProvider {
  readonly name = 'captchala' as const;
  readonly maxTokenLength: number;
  readonly tokenLifetimeSeconds: number;
  readonly replayProtection = 'verifier' as const;
  readonly siteKey?: string;
  private readonly verifyUrl: string;
  private readonly backupUrl: string;
  private readonly issueUrl: string;
  private readonly errorCodes: Record<string, ErrorCodeMeaning>;

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly http: ProviderHttpClient,
  ) {
    const settings = options.captchala ?? {};
    this.siteKey = options.siteKey;
    this.maxTokenLength = settings.maxTokenLength ?? 4096;
    this.tokenLifetimeSeconds = settings.tokenLifetimeSeconds ?? 600;
    this.verifyUrl = options.verifyUrl ?? CAPTCHALA_VERIFY_URL;
    this.backupUrl = settings.backupUrl ?? CAPTCHALA_BACKUP_URL;
    this.issueUrl =
      settings.issueUrl ??
      (this.verifyUrl.endsWith(VALIDATE_PATH)
        ? `${this.verifyUrl.slice(0, -VALIDATE_PATH.length)}${ISSUE_PATH}`
        : new URL(ISSUE_PATH, this.verifyUrl).href);
    this.errorCodes = { ...CAPTCHALA_ERROR_CODES, ...settings.errorCodes };
  }

  /**
   * `offline_` tokens are validated at the backup URL, behind their own circuit; `client_` tokens
   * are answered without a call.
   */
  endpointOf(token: string): ProviderEndpoint | 'local' {
    if (token.startsWith('offline_')) return 'backup';
    return token.startsWith('client_') ? 'local' : 'primary';
  }

  async verify(token: string, request: ProviderVerifyRequest): Promise<ProviderReply> {
    if (token.startsWith('client_')) {
      return this.options.captchala?.acceptClientTokens
        ? { success: true, degraded: true, errorCodes: ['client_token_unverified'] }
        : { success: false, reason: 'invalid', errorCodes: ['client_token'] };
    }
    const body: Record<string, string> = { pass_token: token };
    if (request.remoteIp) body.client_ip = request.remoteIp;
    const response = await this.http.post({
      provider: this.name,
      url: token.startsWith('offline_') ? this.backupUrl : this.verifyUrl,
      body: { json: body },
      headers: await this.authHeaders(),
    });
    return readCaptchalaValidation(
      response,
      this.errorCodes,
      this.options.captchala?.acceptDegraded === true,
    );
  }

  /**
   * Issues a server token (`POST /v1/server/challenge/issue`). The body follows
   * `captchala.issueEncoding`: JSON with the Go SDK's field names (default) or a form with the API
   * docs' names (`bind_ip` instead of `binding_ip`).
   *
   * @throws TypeError on a bad option; {@link CaptchaUnavailableError} when CaptchaLa cannot
   *   answer, refuses our keys (`misconfigured`) or issues no token.
   */
  async issueChallenge(options: CaptchalaChallengeOptions): Promise<CaptchalaServerToken> {
    const { action, ttl, maxUses, bindIp, bindUid } = options ?? ({} as CaptchalaChallengeOptions);
    if (typeof action !== 'string' || action === '') {
      throw new TypeError('issueChallenge needs an action (a non-empty string)');
    }
    for (const [name, value] of [
      ['ttl', ttl],
      ['maxUses', maxUses],
    ] as const) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
        throw new TypeError(`issueChallenge: ${name} must be a positive whole number`);
      }
    }
    const form = this.options.captchala?.issueEncoding === 'form';
    const fields: Record<string, string | number> = { action };
    if (ttl !== undefined) fields.ttl = ttl;
    if (maxUses !== undefined) fields.max_uses = maxUses;
    if (bindIp !== undefined) fields[form ? 'bind_ip' : 'binding_ip'] = bindIp;
    if (bindUid !== undefined) fields.bind_uid = bindUid;
    const response = await this.http.post({
      provider: this.name,
      url: this.issueUrl,
      body: form
        ? { form: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])) }
        : { json: fields },
      headers: await this.authHeaders(),
    });
    refuseRejectedKeys(response);
    const body = isRecord(response.json) ? response.json : {};
    const data = isRecord(body.data) ? body.data : {};
    const ok = response.status >= 200 && response.status <= 299 && body.code === 0;
    if (!ok || typeof data.server_token !== 'string' || data.server_token === '') {
      const msg = typeof body.msg === 'string' ? body.msg : undefined;
      // A 4xx refused our request (429 is thrown earlier, as a rate limit): ours to fix.
      throw new CaptchaUnavailableError(
        this.name,
        isClientErrorStatus(response.status) ? 'misconfigured' : 'bad_response',
        `${this.name} issued no server token (HTTP ${response.status}${msg ? `: ${msg}` : ''})`,
        {
          status: response.status,
          latencyMs: response.latencyMs,
          ...(msg ? { errorCodes: [msg] } : {}),
        },
      );
    }
    return {
      serverToken: data.server_token,
      expiresIn: finiteNumber(data.expires_in),
      issuedAt: finiteNumber(data.issued_at),
    };
  }

  private async authHeaders(): Promise<Record<string, string>> {
    return {
      'X-App-Key': this.siteKey ?? '',
      'X-App-Secret': await resolveSecret(this.options.secretKey),
    };
  }
}
