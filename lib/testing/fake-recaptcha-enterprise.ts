import { randomBytes } from 'node:crypto';
import { isRecord } from '../providers/reply-fields';
import type {
  FakeIssuedToken,
  FakeProvider,
  FakeVerdict,
  FakeVerifyRequest,
  IssueTokenOptions,
} from './fake-provider';
import { FakeTokenLedger } from './fake-token-ledger';

const TOKEN_LIFETIME_SECONDS = 120;
const DEFAULT_SCORE = 0.9;
const ASSESSMENTS_PATH = /^\/v1\/projects\/([^/]+)\/assessments$/;
/** The project number Google answers in `name`, whatever the id in the URL. */
const PROJECT_NUMBER = '123456789012';

/** Google's canonical status names for the HTTP statuses its API error envelope uses. */
const GOOGLE_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** A Google API error envelope: `{"error":{"code":403,"message":"…","status":"PERMISSION_DENIED"}}`. */
function googleError(code: number, message: string, reason?: string): FakeVerdict {
  const details = reason
    ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com' }]
    : undefined;
  return {
    status: code,
    body: {
      error: {
        code,
        message,
        status: GOOGLE_STATUS[code] ?? 'UNKNOWN',
        ...(details ? { details } : {}),
      },
    },
  };
}

/**
 * reCAPTCHA Enterprise `projects.assessments.create` on
 * `POST /v1/projects/{project}/assessments?key=API_KEY`, JSON only. Auth and request errors use
 * Google's error envelope: no key → 403 `PERMISSION_DENIED`, a wrong key → 400
 * `INVALID_ARGUMENT` (`API_KEY_INVALID`, as Google answers it), a Bearer token → 401
 * `UNAUTHENTICATED` (the fake takes API keys only), another project → 403, a body that is not a
 * JSON `{event: {…, siteKey}}` → 400. Token verdicts are HTTP 200 with `tokenProperties.valid`:
 * `MISSING`, `MALFORMED` (a token it never minted), `DUPE` (second assessment), `EXPIRED` (> 120 s),
 * a minted `invalidReason` (e.g. `BROWSER_ERROR`), and `INVALID_REASON_UNSPECIFIED` for a token of
 * another site key. `expectedAction` never fails a token (the caller compares `action`).
 *
 * @internal
 */
export class FakeRecaptchaEnterprise implements FakeProvider {
  readonly name = 'recaptcha-enterprise';
  /** `{projectId}` is the placeholder the library fills from its `projectId` option. */
  readonly verifyPath = '/v1/projects/{projectId}/assessments';
  private readonly ledger = new FakeTokenLedger();
  private readonly invalidReasons = new Map<string, string>();

  /**
   * @param apiKey - the one API key this fake accepts.
   * @param siteKey - the site key tokens are minted for by default.
   * @param projectId - the one project this key may assess in.
   */
  constructor(
    private readonly apiKey: string,
    private readonly siteKey: string,
    private readonly projectId: string,
  ) {}

  servesPath(path: string): boolean {
    return ASSESSMENTS_PATH.test(path);
  }

  /**
   * Mints an `03A`-prefixed token with `riskAnalysis.score` `score` (default 0.9).
   *
   * @throws RangeError when `score` is outside 0..1.
   */
  issueToken(options: IssueTokenOptions, nowMs: number): string {
    const score = options.score ?? DEFAULT_SCORE;
    if (!(score >= 0 && score <= 1)) {
      throw new RangeError(`reCAPTCHA Enterprise score must be within 0..1, got ${score}`);
    }
    const token = `03AFcWeA${randomBytes(360).toString('base64url')}`;
    this.ledger.remember(token, { ...options, score }, nowMs, TOKEN_LIFETIME_SECONDS);
    if (options.invalidReason !== undefined) this.invalidReasons.set(token, options.invalidReason);
    return token;
  }

  /** Judges one createAssessment call. */
  verify({ path, query, headers, body, rawBody, nowMs }: FakeVerifyRequest): FakeVerdict {
    const key = query.get('key');
    if (key === null) {
      return headers.authorization
        ? googleError(
            401,
            'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          )
        : googleError(403, 'The request is missing a valid API key.');
    }
    if (key !== this.apiKey) {
      return googleError(400, 'API key not valid. Please pass a valid API key.', 'API_KEY_INVALID');
    }
    const project = decodeURIComponent(ASSESSMENTS_PATH.exec(path)?.[1] ?? '');
    if (project !== this.projectId) {
      return googleError(403, `Permission denied on resource project ${project}.`);
    }
    if (body.encoding !== 'json') {
      return googleError(400, 'Invalid JSON payload received.');
    }
    let assessment: unknown;
    try {
      assessment = JSON.parse(rawBody);
    } catch {
      return googleError(400, 'Invalid JSON payload received.');
    }
    const event = isRecord(assessment) ? assessment.event : undefined;
    if (!isRecord(event) || typeof event.siteKey !== 'string' || event.siteKey === '') {
      return googleError(400, 'Request contains an invalid argument.');
    }
    return { status: 200, body: this.judge(event, nowMs) };
  }

  faultBody(status: number): Readonly<Record<string, unknown>> {
    return googleError(status, 'The service is currently unavailable.').body;
  }

  /** Forgets tokens. */
  reset(): void {
    this.ledger.clear();
    this.invalidReasons.clear();
  }

  private judge(event: Record<string, unknown>, nowMs: number): Record<string, unknown> {
    const token = typeof event.token === 'string' ? event.token : '';
    const answer = (valid: boolean, invalidReason: string, record?: FakeIssuedToken) => ({
      name: `projects/${PROJECT_NUMBER}/assessments/${randomBytes(8).toString('hex')}`,
      event,
      riskAnalysis: {
        score: valid ? record?.score : 0,
        reasons: valid ? [...(record?.scoreReason ?? [])] : [],
        extendedVerdictReasons: [],
      },
      tokenProperties: {
        valid,
        invalidReason,
        hostname: record?.hostname ?? '',
        action: record?.action ?? '',
        createTime: new Date(record?.issuedAtMs ?? 0).toISOString(),
      },
    });
    if (token === '') return answer(false, 'MISSING');
    const record = this.ledger.find(token);
    if (!record) return answer(false, 'MALFORMED');
    if (event.siteKey !== (record.siteKey ?? this.siteKey)) {
      return answer(false, 'INVALID_REASON_UNSPECIFIED', record);
    }
    const minted = this.invalidReasons.get(token);
    if (minted !== undefined) return answer(false, minted, record);
    if (record.redeemed) return answer(false, 'DUPE', record);
    if (this.ledger.isExpired(record, nowMs)) return answer(false, 'EXPIRED', record);
    record.redeemed = true;
    return answer(true, 'INVALID_REASON_UNSPECIFIED', record);
  }
}
