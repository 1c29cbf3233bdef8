import { randomBytes } from 'node:crypto';
import type {
  FakeCaptchalaTokenKind,
  FakeProvider,
  FakeVerdict,
  FakeVerifyRequest,
  IssueTokenOptions,
} from './fake-provider';
import { FakeTokenLedger } from './fake-token-ledger';

const VALIDATE_PATH = '/v1/validate';
const BACKUP_PATH = '/api/validate';
const ISSUE_PATH = '/v1/server/challenge/issue';
/** Not published; the fake's choice. */
const TOKEN_LIFETIME_SECONDS = 300;
const DEFAULT_RISK_SCORE = 10;
const DEFAULT_SERVER_TOKEN_TTL = 300;

const PREFIXES: Readonly<Record<FakeCaptchalaTokenKind, string>> = {
  pass: 'pt_',
  offline: 'offline_',
  client: 'client_',
  degraded: 'dg_',
};

/**
 * A server token the fake issued, with what the issue call asked for (either field naming).
 *
 * @public
 */
export interface FakeCaptchalaServerToken {
  readonly serverToken: string;
  readonly action: string;
  readonly ttl: number;
  readonly maxUses?: number;
  /** From `bind_ip` (form, API docs) or `binding_ip` (JSON, Go SDK). */
  readonly bindIp?: string;
  readonly bindUid?: string;
  /** How the issue call's body was encoded. */
  readonly encoding: 'form' | 'json';
}

/**
 * INVENTED: CaptchaLa documents no error statuses or codes. The fake answers request errors in the
 * documented envelope `{code, msg, data}` with a non-zero `code` and these HTTP statuses.
 */
function invented(status: number, code: number, msg: string): FakeVerdict {
  return { status, body: { code, msg, data: null } };
}

/** A verdict on a token: `code: 0` and `data.valid: false` with the reason in `data.error`. */
function refusal(error: string): FakeVerdict {
  return { status: 200, body: { code: 0, data: { valid: false, error } } };
}

/**
 * CaptchaLa's API. `POST /v1/validate` takes JSON `{pass_token, client_ip,
 * keep_token}` with headers `X-App-Key` and `X-App-Secret`; a valid `pt_` token answers `code: 0`,
 * `data.valid: true`, `action` and `captcha_args` (`risk_score`, `solved_at`, `referer`, …); a
 * reuse answers `token_already_used` and a token past 300 s `token_expired` (the fake's lifetime);
 * `keep_token: true` does not consume. `dg_` tokens answer `data.degraded: true` with
 * `reason: "quota_exhausted"` and `valid: false`; `client_` and `offline_` tokens are unknown
 * there (`token_not_found`). `POST /api/validate` (the backup host's path) validates `offline_`
 * tokens the same way. `POST /v1/server/challenge/issue` takes a form (`bind_ip`, as the API docs)
 * or JSON (`binding_ip`, as the Go SDK) and answers an `sct_` token with `expires_in`/`issued_at`.
 *
 * INVENTED (marked so in the code): wrong or missing app key/secret → HTTP 401 `{code: 40101}`;
 * a body that is not JSON → 400 `{code: 40001}`; no `pass_token` → 400 `{code: 40002}`; an issue
 * call without `action` → 400 `{code: 40003}`.
 *
 * @internal
 */
export class FakeCaptchala implements FakeProvider {
  readonly name = 'captchala';
  readonly verifyPath = VALIDATE_PATH;
  readonly endpoints = Object.freeze({ backup: BACKUP_PATH, issue: ISSUE_PATH });
  /** Server tokens issued since the last reset, oldest first. */
  readonly serverTokens: FakeCaptchalaServerToken[] = [];
  private readonly ledger = new FakeTokenLedger();

  /**
   * @param appKey - the `X-App-Key` (the library's site key) this fake accepts.
   * @param appSecret - the `X-App-Secret` (the library's secret key) this fake accepts.
   */
  constructor(
    private readonly appKey: string,
    private readonly appSecret: string,
  ) {}

  /**
   * Mints a token of `captchalaKind` (default a `pt_` pass token) with `risk_score` `score`
   * (default 10).
   *
   * @throws RangeError when `score` is outside 0..100.
   */
  issueToken(options: IssueTokenOptions, nowMs: number): string {
    const score = options.score ?? DEFAULT_RISK_SCORE;
    if (!(score >= 0 && score <= 100)) {
      throw new RangeError(`CaptchaLa risk_score must be within 0..100, got ${score}`);
    }
    const token = `${PREFIXES[options.captchalaKind ?? 'pass']}${randomBytes(32).toString('base64url')}`;
    this.ledger.remember(token, { ...options, score }, nowMs, TOKEN_LIFETIME_SECONDS);
    return token;
  }

  verify(request: FakeVerifyRequest): FakeVerdict {
    const { headers } = request;
    // INVENTED: the real answer to bad credentials is not documented.
    if (headers['x-app-key'] !== this.appKey || headers['x-app-secret'] !== this.appSecret) {
      return invented(401, 40101, 'invalid_app_credentials');
    }
    return request.path === ISSUE_PATH ? this.issue(request) : this.validate(request);
  }

  faultBody(status: number): Readonly<Record<string, unknown>> {
    return { code: status, msg: 'internal_error', data: null };
  }

  /** Forgets tokens and issued server tokens. */
  reset(): void {
    this.ledger.clear();
    this.serverTokens.length = 0;
  }

  private validate({ path, body, nowMs }: FakeVerifyRequest): FakeVerdict {
    // INVENTED statuses and codes for request errors.
    if (body.encoding !== 'json' || body.fields === null) {
      return invented(400, 40001, 'bad_request');
    }
    const token = body.fields['pass_token'] ?? '';
    if (token === '') return invented(400, 40002, 'pass_token_required');
    const onBackup = path === BACKUP_PATH;
    const record = this.ledger.find(token);
    const servedHere = onBackup
      ? token.startsWith(PREFIXES.offline)
      : token.startsWith(PREFIXES.pass) || token.startsWith(PREFIXES.degraded);
    if (!record || !servedHere) return refusal('token_not_found');
    if (token.startsWith(PREFIXES.degraded)) {
      return {
        status: 200,
        body: { code: 0, data: { valid: false, degraded: true, reason: 'quota_exhausted' } },
      };
    }
    if (record.redeemed) return refusal('token_already_used');
    if (this.ledger.isExpired(record, nowMs)) return refusal('token_expired');
    if (body.fields['keep_token'] !== 'true') record.redeemed = true;
    return {
      status: 200,
      body: {
        code: 0,
        data: {
          valid: true,
          challenge_id: `ch_${randomBytes(8).toString('hex')}`,
          action: record.action === '' ? null : record.action,
          uid: null,
          captcha_args: {
            platform: 'web',
            user_ip: body.fields['client_ip'] ?? null,
            referer: record.hostname === '' ? null : `https://${record.hostname}/`,
            pkg: null,
            solved_at: Math.floor(record.issuedAtMs / 1000),
            risk_score: record.score,
          },
        },
      },
    };
  }

  private issue({ body, nowMs }: FakeVerifyRequest): FakeVerdict {
    const { encoding, fields } = body;
    if ((encoding !== 'json' && encoding !== 'form') || fields === null) {
      return invented(400, 40001, 'bad_request');
    }
    const action = fields['action'] ?? '';
    if (action === '') return invented(400, 40003, 'action_required');
    const whole = (value: string | undefined) =>
      value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
    const ttl = whole(fields['ttl']) ?? DEFAULT_SERVER_TOKEN_TTL;
    const serverToken = `sct_${randomBytes(24).toString('base64url')}`;
    this.serverTokens.push({
      serverToken,
      action,
      ttl,
      maxUses: whole(fields['max_uses']),
      bindIp: fields['bind_ip'] ?? fields['binding_ip'],
      bindUid: fields['bind_uid'],
      encoding,
    });
    return {
      status: 200,
      body: {
        code: 0,
        data: { server_token: serverToken, expires_in: ttl, issued_at: Math.floor(nowMs / 1000) },
      },
    };
  }
}
