import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProvider, ProviderReply } from './captcha-provider.interface';
import type { ErrorCodeMeaning } from './error-code-map';
import { reasonFromErrorCodes } from './error-code-map';
import type { ProviderHttpClient, ProviderHttpResponse } from './provider-http-client';
import { dateOf, hostOfUrl, isClientErrorStatus, isRecord, unreadableReply } from './reply-fields';
import { resolveSecret } from './resolve-secret';

/**
 * The v2 siteverify endpoint (EU: `https://eu.frcapi.com/api/v2/captcha/siteverify`).
 *
 * @internal
 */
export const FRIENDLY_CAPTCHA_V2_VERIFY_URL = 'https://global.frcapi.com/api/v2/captcha/siteverify';

/**
 * The legacy v1 siteverify endpoint.
 *
 * @internal
 */
export const FRIENDLY_CAPTCHA_V1_VERIFY_URL = 'https://api.friendlycaptcha.com/api/v1/siteverify';

/** v2 `error.error_code` values, read in our vocabulary. */
const V2_ERROR_CODES: Record<string, ErrorCodeMeaning> = {
  auth_required: 'misconfigured',
  auth_invalid: 'misconfigured',
  sitekey_invalid: 'misconfigured',
  bad_request: 'misconfigured',
  response_missing: 'malformed',
  response_invalid: 'invalid',
  response_timeout: 'expired',
  response_duplicate: 'duplicate',
};

/** v1 `errors` values, read in our vocabulary. */
const V1_ERROR_CODES: Record<string, ErrorCodeMeaning> = {
  secret_missing: 'misconfigured',
  secret_invalid: 'misconfigured',
  bad_request: 'misconfigured',
  solution_missing: 'malformed',
  solution_invalid: 'invalid',
  // Friendly Captcha does not say which of the two happened; "already used" is the common case.
  solution_timeout_or_duplicate: 'duplicate',
};

/**
 * Friendly Captcha. v2 (default): `POST /api/v2/captcha/siteverify`, JSON `{response, sitekey}`
 * with the API key in `X-API-Key`; `data.challenge.origin` is reported as the hostname and
 * `data.challenge.timestamp` as the challenge time. v1 (`friendlyCaptchaVersion: 1`):
 * `POST /api/v1/siteverify`, JSON `{solution, secret, sitekey}`, errors in `errors`, no hostname.
 *
 * Friendly Captcha recommends failing open when it cannot be reached; that is the route's
 * `failureMode: 'open'` here, not a default.
 *
 * @internal
 */
export class FriendlyCaptchaProvider implements CaptchaProvider {
  readonly name = 'friendly-captcha' as const;
  /** Friendly Captcha documents 16 KB for v2 responses; v1 solutions are far shorter. */
  readonly maxTokenLength = 16384;
  /** Not published; longer than any puzzle lifetime, so our single-use claim outlives the token. */
  readonly tokenLifetimeSeconds = 3600;
  readonly replayProtection = 'verifier' as const;
  readonly siteKey?: string;
  private readonly version: 1 | 2;
  private readonly verifyUrl: string;

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly http: ProviderHttpClient,
  ) {
    this.siteKey = options.siteKey;
    this.version = options.friendlyCaptchaVersion ?? 2;
    this.verifyUrl =
      options.verifyUrl ??
      (this.version === 1 ? FRIENDLY_CAPTCHA_V1_VERIFY_URL : FRIENDLY_CAPTCHA_V2_VERIFY_URL);
  }

  async verify(token: string): Promise<ProviderReply> {
    const secret = await resolveSecret(this.options.secretKey);
    const sitekey = this.siteKey ? { sitekey: this.siteKey } : {};
    const response =
      this.version === 1
        ? await this.http.post({
            provider: this.name,
            url: this.verifyUrl,
            body: { json: { solution: token, secret, ...sitekey } },
          })
        : await this.http.post({
            provider: this.name,
            url: this.verifyUrl,
            body: { json: { response: token, ...sitekey } },
            headers: { 'X-API-Key': secret },
          });
    const body = this.readBody(response);
    const ok = response.status >= 200 && response.status <= 299;
    if (body.success === true) {
      if (!ok) throw unreadableReply(this.name, response, 'with a success verdict; not trusted');
      return {
        success: true,
        errorCodes: [],
        httpStatus: response.status,
        ...readChallenge(body.data),
      };
    }
    const errorCodes = this.version === 1 ? readV1Errors(body) : readV2Error(body);
    const meanings = this.version === 1 ? V1_ERROR_CODES : V2_ERROR_CODES;
    // Verdicts on the token come with HTTP 200; any other refusal we cannot read is not one. On a
    // 4xx Friendly Captcha refused the request itself (its documented 4xx codes are all request
    // errors): `misconfigured`, never an outage a client's junk could count up.
    if (!ok && !errorCodes.some((code) => meanings[code] !== undefined)) {
      const refused = isClientErrorStatus(response.status);
      throw new CaptchaUnavailableError(
        this.name,
        refused ? 'misconfigured' : 'bad_response',
        `${this.name} answered HTTP ${response.status}${errorCodes.length ? `: ${errorCodes.join(', ')}` : ''}`,
        { status: response.status, errorCodes, latencyMs: response.latencyMs },
      );
    }
    return {
      success: false,
      errorCodes,
      httpStatus: response.status,
      reason: reasonFromErrorCodes(
        this.name,
        errorCodes,
        meanings,
        'check CAPTCHA_SECRET_KEY (the API key) and CAPTCHA_SITE_KEY',
      ),
    };
  }

  private readBody(response: ProviderHttpResponse): Record<string, unknown> {
    const body = response.json;
    if (!isRecord(body) || typeof body.success !== 'boolean') {
      throw unreadableReply(this.name, response, 'without a readable verdict');
    }
    return body;
  }
}

/** v2 `data.challenge`: the origin's host (scheme and port dropped) and the solve time. */
function readChallenge(data: unknown): Pick<ProviderReply, 'hostname' | 'challengeTs'> {
  const challenge = isRecord(data) && isRecord(data.challenge) ? data.challenge : {};
  return { hostname: hostOfUrl(challenge.origin), challengeTs: dateOf(challenge.timestamp) };
}

function readV2Error(body: Record<string, unknown>): string[] {
  const code = isRecord(body.error) ? body.error.error_code : undefined;
  return typeof code === 'string' ? [code] : [];
}

function readV1Errors(body: Record<string, unknown>): string[] {
  return Array.isArray(body.errors)
    ? body.errors.filter((code): code is string => typeof code === 'string')
    : [];
}
