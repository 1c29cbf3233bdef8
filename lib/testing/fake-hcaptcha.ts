import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { fakeChallengeTimestamp } from './fake-challenge-timestamp';
import {
  fakeFailure,
  type FakeProvider,
  type FakeVerdict,
  type FakeVerifyRequest,
  type IssueTokenOptions,
} from './fake-provider';
import { FakeTokenLedger } from './fake-token-ledger';

/**
 * hCaptcha's official test keys (https://docs.hcaptcha.com/#integration-testing-test-keys): one
 * secret, three site key / token pairs.
 *
 * @internal
 */
export const HCAPTCHA_TEST_KEYS = Object.freeze({
  secret: '0x0000000000000000000000000000000000000000',
  publisher: Object.freeze({
    siteKey: '10000000-ffff-ffff-ffff-000000000001',
    token: '10000000-aaaa-bbbb-cccc-000000000001',
  }),
  enterpriseSafeUser: Object.freeze({
    siteKey: '20000000-ffff-ffff-ffff-000000000002',
    token: '20000000-aaaa-bbbb-cccc-000000000002',
  }),
  enterpriseBotDetected: Object.freeze({
    siteKey: '30000000-ffff-ffff-ffff-000000000003',
    token: '30000000-aaaa-bbbb-cccc-000000000003',
  }),
} as const);

const TOKEN_LIFETIME_SECONDS = 120;

/** What each test token answers. Scores for the Enterprise test keys are unconfirmed: invented. */
const TEST_TOKENS: readonly {
  siteKey: string;
  token: string;
  enterprise?: { score: number; score_reason: string[] };
}[] = [
  HCAPTCHA_TEST_KEYS.publisher,
  { ...HCAPTCHA_TEST_KEYS.enterpriseSafeUser, enterprise: { score: 0.1, score_reason: [] } },
  {
    ...HCAPTCHA_TEST_KEYS.enterpriseBotDetected,
    enterprise: { score: 0.95, score_reason: ['bot detected'] },
  },
];

/**
 * hCaptcha's siteverify: form-urlencoded only; tokens valid 120 s and
 * verifiable once (`already-seen-response`, or the legacy `invalid-or-already-seen-response` when
 * {@link FakeHcaptcha.legacyDuplicateCode} is on); `sitekey` and `remoteip` checked; Enterprise
 * tokens (minted with a score) answer `score` and `score_reason`. Every verdict is HTTP 200.
 *
 * @internal
 */
export class FakeHcaptcha implements FakeProvider {
  readonly name = 'hcaptcha';
  readonly verifyPath = '/siteverify';
  /** Answer a reused token with the legacy combined code instead of `already-seen-response`. */
  legacyDuplicateCode = false;
  private readonly ledger = new FakeTokenLedger();

  /**
   * @param productionSecret - the one non-test secret this fake accepts.
   * @param productionSiteKey - the site key tokens are minted for unless `siteKey` says otherwise.
   */
  constructor(
    private readonly productionSecret: string,
    private readonly productionSiteKey: string,
  ) {}

  /** Mints a `P1_eyJ…` token shaped like hCaptcha's signed tokens (no real signature). */
  issueToken(options: IssueTokenOptions, nowMs: number): string {
    const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'HS256' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({
        pd: 0,
        exp: Math.floor(nowMs / 1000) + (options.ttlSeconds ?? TOKEN_LIFETIME_SECONDS),
        jti: randomBytes(16).toString('hex'),
      }),
    ).toString('base64url');
    const token = `P1_${header}.${payload}.${randomBytes(32).toString('base64url')}`;
    this.ledger.remember(
      token,
      { ...options, siteKey: options.siteKey ?? this.productionSiteKey },
      nowMs,
      TOKEN_LIFETIME_SECONDS,
    );
    return token;
  }

  /** Judges one siteverify call. */
  verify({ body, nowMs }: FakeVerifyRequest): FakeVerdict {
    // hCaptcha reads form fields only. Which code a JSON body gets is not documented; `bad-request`
    // ("malformed request") is the closest documented one, and it fails the call either way.
    if ((body.encoding !== 'form' && body.encoding !== 'none') || body.fields === null) {
      return fakeFailure('bad-request');
    }
    const secret = body.fields['secret'] ?? '';
    const response = body.fields['response'] ?? '';
    const remoteIp = body.fields['remoteip'];
    const siteKey = body.fields['sitekey'];

    if (!secret) return fakeFailure('missing-input-secret');
    const isTestSecret = secret === HCAPTCHA_TEST_KEYS.secret;
    if (!isTestSecret && secret !== this.productionSecret) {
      return fakeFailure('invalid-input-secret');
    }
    if (!response) return fakeFailure('missing-input-response');
    if (remoteIp !== undefined && isIP(remoteIp) === 0) return fakeFailure('invalid-remoteip');

    const testToken = TEST_TOKENS.find((t) => t.token === response);
    const testSiteKey = TEST_TOKENS.some((t) => t.siteKey === siteKey);
    if (!isTestSecret) {
      // A test site key (named, or implied by its token) needs the test secret.
      if (testSiteKey || testToken) return fakeFailure('not-using-dummy-passcode');
      return this.judgeMinted(response, siteKey, nowMs);
    }

    if (!testToken) return fakeFailure('invalid-input-response');
    if (siteKey !== undefined && siteKey !== testToken.siteKey) {
      return fakeFailure('sitekey-secret-mismatch');
    }
    // Reuse of test tokens is unconfirmed; allowed here. `dummy-key-pass` is the hostname
    // hCaptcha's test keys are reported to answer (unconfirmed).
    return {
      status: 200,
      body: {
        success: true,
        challenge_ts: fakeChallengeTimestamp(nowMs, 'seconds'),
        hostname: 'dummy-key-pass',
        credit: false,
        ...testToken.enterprise,
      },
    };
  }

  /** Forgets tokens (the duplicate-code mode is configuration and stays). */
  reset(): void {
    this.ledger.clear();
  }

  private judgeMinted(response: string, siteKey: string | undefined, nowMs: number): FakeVerdict {
    const record = this.ledger.find(response);
    if (!record) return fakeFailure('invalid-input-response');
    if (record.redeemed) {
      return fakeFailure(
        this.legacyDuplicateCode ? 'invalid-or-already-seen-response' : 'already-seen-response',
      );
    }
    if (this.ledger.isExpired(record, nowMs)) return fakeFailure('expired-input-response');
    // The token is spent even when the sitekey criterion fails: the provider did verify it.
    record.redeemed = true;
    if (siteKey !== undefined && siteKey !== record.siteKey) {
      return fakeFailure('sitekey-secret-mismatch');
    }
    const enterprise =
      record.score === undefined
        ? {}
        : { score: record.score, score_reason: [...record.scoreReason] };
    return {
      status: 200,
      body: {
        success: true,
        challenge_ts: fakeChallengeTimestamp(record.issuedAtMs, 'seconds'),
        hostname: record.hostname,
        credit: false,
        ...enterprise,
      },
    };
  }
}
