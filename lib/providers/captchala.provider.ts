import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type {
  CaptchaProvider,
  ProviderEndpoint,
  ProviderReply,
  ProviderVerifyRequest,
} from './captcha-provider.interface';
import type { ErrorCodeMeaning } from './error-code-map';
import { reasonFromErrorCodes } from './error-code-map';
import type { ProviderHttpClient, ProviderHttpResponse } from './provider-http-client';
import {
  finiteNumber,
  hostOfUrl,
  invertRiskScore,
  isClientErrorStatus,
  isRecord,
  unreadableReply,
} from './reply-fields';
import { resolveSecret } from './resolve-secret';

/** CaptchaLa's validate endpoint. */
export const CAPTCHALA_VERIFY_URL = 'https://apiv1.captcha.la/v1/validate';

/** Where `offline_` tokens are validated. */
export const CAPTCHALA_BACKUP_URL = 'https://fallbackapiv1.captchala.com/api/validate';

const VALIDATE_PATH = '/v1/validate';
const ISSUE_PATH = '/v1/server/challenge/issue';

/**
 * Failure codes (`data.error` or `msg`) read in our vocabulary. CaptchaLa publishes no list; these
 * are the ones a third-party integration treats as the user's.
 */
const CAPTCHALA_ERROR_CODES: Record<string, ErrorCodeMeaning> = {
  token_expired: 'expired',
  challenge_expired: 'expired',
  token_already_used: 'duplicate',
  token_not_found: 'invalid',
  challenge_not_found: 'invalid',
  invalid_answer: 'invalid',
};

/** What {@link CaptchalaProvider.issueChallenge} asks CaptchaLa for. */
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

/** A CaptchaLa server token (`sct_…`) for the browser SDK to start a challenge with. */
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
    return this.readValidation(response);
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
    this.refuseRejectedKeys(response);
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

  private readValidation(response: ProviderHttpResponse): ProviderReply {
    const { status, latencyMs } = response;
    this.refuseRejectedKeys(response);
    const body = response.json;
    if (!isRecord(body) || typeof body.code !== 'number') {
      throw unreadableReply(this.name, response, 'without a readable {code, data} envelope');
    }
    const ok = status >= 200 && status <= 299;
    const data = isRecord(body.data) ? body.data : undefined;
    if (ok && data?.degraded === true) return this.readDegraded(data, status);
    if (ok && body.code === 0) {
      if (typeof data?.valid !== 'boolean') {
        throw unreadableReply(this.name, response, 'without data.valid');
      }
      if (data.valid) {
        // Spread last: V8 11 (Node 20) adds fields after a spread ~1 µs each (benchmarked).
        return {
          action: readAction(data) ?? '',
          success: true,
          errorCodes: [],
          httpStatus: status,
          ...readPassFields(data),
        };
      }
    }
    const error =
      typeof data?.error === 'string' && data.error !== ''
        ? data.error
        : body.code !== 0 && typeof body.msg === 'string' && body.msg !== ''
          ? body.msg
          : undefined;
    const errorCodes = error ? [error] : body.code !== 0 ? [`code_${body.code}`] : [];
    // A refusal envelope on a 4xx is CaptchaLa's verdict on this request, which the client's token
    // decides (junk `offline_` tokens at the backup URL): read like one, never as an outage that
    // would count against a circuit. Anything else on a non-2xx (a pass, an empty refusal, a
    // 3xx) is not a verdict we can read.
    const refused = body.code !== 0 || data?.valid === false;
    if (!ok && !(isClientErrorStatus(status) && refused)) {
      throw new CaptchaUnavailableError(
        this.name,
        isClientErrorStatus(status) ? 'misconfigured' : 'bad_response',
        `${this.name} answered HTTP ${status}${errorCodes.length ? `: ${errorCodes.join(', ')}` : ''}` +
          ' without a verdict we can read — check captchala.backupUrl, CAPTCHA_VERIFY_URL and any proxy',
        { status, errorCodes, latencyMs },
      );
    }
    return {
      success: false,
      errorCodes,
      httpStatus: status,
      reason: reasonFromErrorCodes(
        this.name,
        errorCodes,
        this.errorCodes,
        'check CAPTCHA_SITE_KEY (the app key) and CAPTCHA_SECRET_KEY (the app secret)',
      ),
    };
  }

  /**
   * A degraded answer: a reply marked `degraded: true` when `captchala.acceptDegraded` (the
   * verifier judges it and applies the caller's policy), else refused as kind `degraded`.
   */
  private readDegraded(data: Record<string, unknown>, status: number): ProviderReply {
    const errorCodes = ['degraded', ...(typeof data.reason === 'string' ? [data.reason] : [])];
    if (this.options.captchala?.acceptDegraded) {
      return {
        action: readAction(data),
        success: true,
        degraded: true,
        errorCodes,
        httpStatus: status,
        ...readPassFields(data),
      };
    }
    // The client chose the `dg_` prefix: an outage of this request only, not of the provider.
    throw new CaptchaUnavailableError(
      this.name,
      'degraded',
      `${this.name} is degraded (${errorCodes.join(': ')}) and could not verify the token; ` +
        'captchala.acceptDegraded accepts such tokens on fail-open routes',
      { status, errorCodes },
    );
  }

  /** HTTP 401/403: our app key or secret is refused. */
  private refuseRejectedKeys(response: ProviderHttpResponse): void {
    if (response.status !== 401 && response.status !== 403) return;
    const body = isRecord(response.json) ? response.json : {};
    const msg =
      typeof body.msg === 'string' && body.msg !== '' ? body.msg : `HTTP_${response.status}`;
    throw new CaptchaUnavailableError(
      this.name,
      'misconfigured',
      `app key or secret rejected by ${this.name}: HTTP ${response.status} ${msg} — ` +
        'check CAPTCHA_SITE_KEY (the app key) and CAPTCHA_SECRET_KEY (the app secret)',
      { status: response.status, errorCodes: [msg], latencyMs: response.latencyMs },
    );
  }
}

/** `data.action`, `null` and absent alike as `undefined`. */
function readAction(data: Record<string, unknown>): string | undefined {
  return typeof data.action === 'string' ? data.action : undefined;
}

/**
 * Score, hostname and challenge time from `data.captcha_args` (an older docs revision put these
 * fields in `data` itself, so that is read when `captcha_args` is absent).
 */
function readPassFields(
  data: Record<string, unknown>,
): Pick<ProviderReply, 'score' | 'hostname' | 'challengeTs'> {
  const args = isRecord(data.captcha_args) ? data.captcha_args : data;
  const risk = finiteNumber(args.risk_score);
  const solvedAt = finiteNumber(args.solved_at);
  return {
    score: risk === undefined ? undefined : invertRiskScore(risk / 100),
    hostname: hostOfUrl(args.referer),
    challengeTs: solvedAt === undefined ? undefined : new Date(solvedAt * 1000),
  };
}
