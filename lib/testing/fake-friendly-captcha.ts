import { randomBytes } from 'node:crypto';
import { fakeChallengeTimestamp } from './fake-challenge-timestamp';
import type {
  FakeProvider,
  FakeVerdict,
  FakeVerifyRequest,
  IssueTokenOptions,
} from './fake-provider';
import { FakeTokenLedger } from './fake-token-ledger';

const V2_PATH = '/api/v2/captcha/siteverify';
const V1_PATH = '/api/v1/siteverify';
/** Friendly Captcha documents 16 KB as the longest v2 `response`. */
const MAX_RESPONSE_LENGTH = 16 * 1024;
/** Not published; the fake's choice. */
const TOKEN_LIFETIME_SECONDS = 600;

/** A v2 failure: `{"success":false,"error":{"error_code":"…","detail":"…"}}`. */
function v2Failure(status: number, code: string, detail: string): FakeVerdict {
  return { status, body: { success: false, error: { error_code: code, detail } } };
}

/** A v1 failure: `{"success":false,"errors":["…"]}`. */
function v1Failure(status: number, code: string): FakeVerdict {
  return { status, body: { success: false, errors: [code] } };
}

/**
 * Friendly Captcha siteverify, both API versions.
 *
 * v2 (`POST /api/v2/captcha/siteverify`, JSON or form, `X-API-Key`): no key → 401
 * `auth_required`, a wrong key → 401 `auth_invalid`, an empty or unreadable body or a `response`
 * over 16 KB → 400 `bad_request`, no `response` → 400 `response_missing`, a `sitekey` that is not
 * the account's → 400 `sitekey_invalid`; at HTTP 200: `response_invalid` (unknown, a v1 token, or
 * solved for another site key), `response_duplicate`, `response_timeout` (the fake's lifetime is
 * 600 s). Success carries `data.challenge.{timestamp, origin}`. GET → 405 `method_not_allowed`.
 *
 * v1 (`POST /api/v1/siteverify`, JSON or form, `secret` in the body): `secret_missing` [400],
 * `secret_invalid` [401], `solution_missing` [400], `bad_request` [400], and at 200
 * `solution_invalid` and `solution_timeout_or_duplicate`; the errors come in `errors`.
 *
 * @internal
 */
export class FakeFriendlyCaptcha implements FakeProvider {
  readonly name = 'friendly-captcha';
  readonly verifyPath = V2_PATH;
  readonly endpoints = Object.freeze({ v1: V1_PATH });
  private readonly ledger = new FakeTokenLedger();
  private readonly versions = new Map<string, 1 | 2>();

  /**
   * @param apiKey - the one API key this fake accepts (`X-API-Key` in v2, `secret` in v1).
   * @param siteKey - the account's site key, which tokens are minted for by default.
   */
  constructor(
    private readonly apiKey: string,
    private readonly siteKey: string,
  ) {}

  /** Mints a v2 response (default) or, with `version: 1`, a v1 solution. */
  issueToken(options: IssueTokenOptions, nowMs: number): string {
    const version = options.version ?? 2;
    const token =
      version === 1
        ? `${randomBytes(16).toString('hex')}.${randomBytes(96).toString('base64url')}.AgAD`
        : `FRC.${randomBytes(600).toString('base64url')}`;
    this.ledger.remember(token, options, nowMs, TOKEN_LIFETIME_SECONDS);
    this.versions.set(token, version);
    return token;
  }

  verify(request: FakeVerifyRequest): FakeVerdict {
    return request.path === V1_PATH ? this.verifyV1(request) : this.verifyV2(request);
  }

  methodNotAllowed(): FakeVerdict {
    return v2Failure(405, 'method_not_allowed', 'Use POST');
  }

  faultBody(): Readonly<Record<string, unknown>> {
    return v2Failure(500, 'internal_error', 'Internal server error').body;
  }

  /** Forgets tokens. */
  reset(): void {
    this.ledger.clear();
    this.versions.clear();
  }

  private verifyV2({ headers, body, nowMs }: FakeVerifyRequest): FakeVerdict {
    const apiKey = headers['x-api-key'];
    if (apiKey === undefined || apiKey === '') {
      return v2Failure(401, 'auth_required', 'The X-API-Key header is missing');
    }
    if (apiKey !== this.apiKey) return v2Failure(401, 'auth_invalid', 'The API key is invalid');
    if (body.encoding === 'none' || body.fields === null) {
      return v2Failure(400, 'bad_request', 'The request body could not be read');
    }
    const response = body.fields['response'] ?? '';
    if (response === '') return v2Failure(400, 'response_missing', 'The response is missing');
    if (response.length > MAX_RESPONSE_LENGTH) {
      return v2Failure(400, 'bad_request', 'The response is too long');
    }
    const sitekey = body.fields['sitekey'];
    if (sitekey !== undefined && sitekey !== this.siteKey) {
      return v2Failure(400, 'sitekey_invalid', 'The sitekey is invalid');
    }
    const record = this.ledger.find(response);
    if (
      !record ||
      this.versions.get(response) !== 2 ||
      (sitekey !== undefined && (record.siteKey ?? this.siteKey) !== sitekey)
    ) {
      return v2Failure(200, 'response_invalid', 'The response is invalid');
    }
    if (record.redeemed) {
      return v2Failure(200, 'response_duplicate', 'The response was already used');
    }
    if (this.ledger.isExpired(record, nowMs)) {
      return v2Failure(200, 'response_timeout', 'The response has expired');
    }
    record.redeemed = true;
    return {
      status: 200,
      body: {
        success: true,
        data: {
          event_id: `ev_${randomBytes(12).toString('hex')}`,
          challenge: {
            timestamp: fakeChallengeTimestamp(record.issuedAtMs, 'seconds'),
            origin: record.hostname === '' ? '' : `https://${record.hostname}`,
          },
          risk_intelligence: null,
        },
      },
    };
  }

  private verifyV1({ body, nowMs }: FakeVerifyRequest): FakeVerdict {
    if (body.encoding === 'none' || body.fields === null) return v1Failure(400, 'bad_request');
    const secret = body.fields['secret'] ?? '';
    const solution = body.fields['solution'] ?? '';
    if (secret === '') return v1Failure(400, 'secret_missing');
    if (secret !== this.apiKey) return v1Failure(401, 'secret_invalid');
    if (solution === '') return v1Failure(400, 'solution_missing');
    const sitekey = body.fields['sitekey'];
    const record = this.ledger.find(solution);
    if (
      !record ||
      this.versions.get(solution) !== 1 ||
      (sitekey !== undefined && (record.siteKey ?? this.siteKey) !== sitekey)
    ) {
      return v1Failure(200, 'solution_invalid');
    }
    if (record.redeemed || this.ledger.isExpired(record, nowMs)) {
      return v1Failure(200, 'solution_timeout_or_duplicate');
    }
    record.redeemed = true;
    return { status: 200, body: { success: true } };
  }
}
