import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type {
  CaptchaProvider,
  ProviderReply,
  ProviderVerifyRequest,
} from './captcha-provider.interface';
import type { ErrorCodeMeaning } from './error-code-map';
import { reasonFromErrorCodes } from './error-code-map';
import type { ProviderHttpClient, ProviderHttpResponse } from './provider-http-client';
import { dateOf, isClientErrorStatus, isRecord, unreadableReply } from './reply-fields';
import { resolveSecret } from './resolve-secret';

/**
 * The createAssessment endpoint; `{projectId}` is filled from `projectId`.
 *
 * @internal
 */
export const RECAPTCHA_ENTERPRISE_VERIFY_URL =
  'https://recaptchaenterprise.googleapis.com/v1/projects/{projectId}/assessments';

/** `tokenProperties.invalidReason` values (v1, and v1beta1's `SITE_MISMATCH`) in our vocabulary. */
const INVALID_REASONS: Record<string, ErrorCodeMeaning> = {
  MALFORMED: 'malformed',
  MISSING: 'malformed',
  EXPIRED: 'expired',
  DUPE: 'duplicate',
  BROWSER_ERROR: 'invalid',
  SITE_MISMATCH: 'invalid',
  UNKNOWN_INVALID_REASON: 'invalid',
  INVALID_REASON_UNSPECIFIED: 'invalid',
};

/**
 * Statuses of the Google API error envelope that mean our key, project or request is refused.
 * 429 (`RESOURCE_EXHAUSTED`) and 5xx never get here: the HTTP client reports them as outages.
 */
const MISCONFIGURED_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404]);

/**
 * Google reCAPTCHA Enterprise (`POST /v1/projects/{projectId}/assessments?key=API_KEY`, JSON).
 * `secretKey` is the API key and `projectId` the Google Cloud project. The token verdict is
 * `tokenProperties`; `riskAnalysis.score` (1.0 = human) is held to `minScore` and its `reasons`
 * are reported. Replies are read defensively: Google's JSON leaves out fields at their default
 * value (`valid: false`, `score: 0`, `action: ""`), so a missing `valid` is a failure, a missing
 * score next to a `riskAnalysis` is `0`, and a missing action is `""` (it cannot match an expected
 * one). A reply without `tokenProperties` is unreadable: an outage, never a pass.
 *
 * @internal
 */
export class RecaptchaEnterpriseProvider implements CaptchaProvider {
  readonly name = 'recaptcha-enterprise' as const;
  /** Not documented by Google; real tokens run to about 2,000 characters. */
  readonly maxTokenLength = 4096;
  readonly tokenLifetimeSeconds = 120;
  readonly replayProtection = 'verifier' as const;
  readonly siteKey?: string;
  private readonly verifyUrl: string;

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly http: ProviderHttpClient,
  ) {
    this.siteKey = options.siteKey;
    // Validation guarantees a project id of URL-safe characters for this provider.
    this.verifyUrl = (options.verifyUrl ?? RECAPTCHA_ENTERPRISE_VERIFY_URL).replace(
      '{projectId}',
      options.projectId ?? '',
    );
  }

  async verify(token: string, request: ProviderVerifyRequest): Promise<ProviderReply> {
    const event: Record<string, string> = { token, siteKey: this.siteKey ?? '' };
    if (request.action !== undefined) event.expectedAction = request.action;
    if (request.remoteIp) event.userIpAddress = request.remoteIp;
    const key = encodeURIComponent(await resolveSecret(this.options.secretKey));
    const separator = this.verifyUrl.includes('?') ? '&' : '?';
    const response = await this.http.post({
      provider: this.name,
      url: `${this.verifyUrl}${separator}key=${key}`,
      body: { json: { event } },
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    if (response.status < 200 || response.status > 299) this.throwApiError(response);
    return this.readAssessment(response);
  }

  private readAssessment(response: ProviderHttpResponse): ProviderReply {
    const body = response.json;
    const properties = isRecord(body) ? body.tokenProperties : undefined;
    if (!isRecord(body) || !isRecord(properties)) {
      throw unreadableReply(this.name, response, 'without tokenProperties');
    }
    const risk = isRecord(body.riskAnalysis) ? body.riskAnalysis : undefined;
    const fields = {
      httpStatus: response.status,
      hostname: typeof properties.hostname === 'string' ? properties.hostname : undefined,
      action: typeof properties.action === 'string' ? properties.action : '',
      score: risk ? readScore(risk.score) : undefined,
      reasons: Array.isArray(risk?.reasons)
        ? risk.reasons.filter((r): r is string => typeof r === 'string')
        : [],
      challengeTs: dateOf(properties.createTime),
    };
    if (properties.valid === true) return { success: true, errorCodes: [], ...fields };
    const invalidReason =
      typeof properties.invalidReason === 'string'
        ? properties.invalidReason
        : 'INVALID_REASON_UNSPECIFIED';
    return {
      success: false,
      errorCodes: [invalidReason],
      reason: reasonFromErrorCodes(this.name, [invalidReason], INVALID_REASONS),
      ...fields,
    };
  }

  /** A Google API error envelope: our key or project refused, or an answer we cannot read. */
  private throwApiError(response: ProviderHttpResponse): never {
    const error =
      isRecord(response.json) && isRecord(response.json.error) ? response.json.error : {};
    const status = typeof error.status === 'string' ? error.status : `HTTP_${response.status}`;
    const details = {
      status: response.status,
      errorCodes: [status],
      latencyMs: response.latencyMs,
    };
    if (MISCONFIGURED_STATUSES.has(response.status)) {
      throw new CaptchaUnavailableError(
        this.name,
        'misconfigured',
        `API key, project or request rejected by ${this.name}: HTTP ${response.status} ${status} — ` +
          'check CAPTCHA_SECRET_KEY (the API key), CAPTCHA_PROJECT_ID and CAPTCHA_SITE_KEY',
        details,
      );
    }
    // Google answers token verdicts with 200; any other 4xx refused the request itself: ours to
    // fix, and a client's junk must not count it as an outage (429 is thrown before this).
    throw new CaptchaUnavailableError(
      this.name,
      isClientErrorStatus(response.status) ? 'misconfigured' : 'bad_response',
      `${this.name} answered HTTP ${response.status} ${status}`,
      details,
    );
  }
}

/** `riskAnalysis.score`: a number (or a numeric string), within 0..1; absent means Google's default 0. */
function readScore(value: unknown): number {
  const score = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof score === 'number' && Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
}
