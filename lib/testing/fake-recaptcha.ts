import { randomBytes } from 'node:crypto';
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
 * Google's official reCAPTCHA v2 test keys (https://developers.google.com/recaptcha/docs/faq);
 * v3 has none.
 *
 * @internal
 */
export const RECAPTCHA_TEST_KEYS = Object.freeze({
  siteKey: '6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI',
  /** Every siteverify with this secret passes, for any token, any number of times. */
  secret: '6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe',
} as const);

const TOKEN_LIFETIME_SECONDS = 120;

/**
 * Google reCAPTCHA v2/v3 siteverify: form-urlencoded bodies only; tokens
 * valid 120 s and verifiable once; v3 tokens (minted with a score) answer `score` and `action`, v2
 * tokens neither; the test secret passes anything. Every verdict is HTTP 200.
 *
 * Two non-test key pairs: the production one (v3 or v2, by whether a token is minted with a
 * score) and a v2 checkbox pair, whose tokens never carry a score. A token verifies only with its
 * own pair's secret (`invalid-input-response` with the other's), as Google binds a token to its
 * site key. Tokens minted for Google's test site key are v2 tokens too.
 *
 * @internal
 */
export class FakeRecaptcha implements FakeProvider {
  readonly name = 'recaptcha';
  readonly verifyPath = '/recaptcha/api/siteverify';
  private readonly ledger = new FakeTokenLedger();

  /**
   * @param productionSecret - the production pair's secret.
   * @param checkbox - the v2 checkbox pair.
   */
  constructor(
    private readonly productionSecret: string,
    private readonly checkbox: { readonly siteKey: string; readonly secret: string },
  ) {}

  /**
   * Mints a `03A`-prefixed base64url token.
   *
   * @throws RangeError when `score` is outside 0..1.
   */
  issueToken(options: IssueTokenOptions, nowMs: number): string {
    if (options.score !== undefined && !(options.score >= 0 && options.score <= 1)) {
      throw new RangeError(`reCAPTCHA score must be within 0..1, got ${options.score}`);
    }
    const token = `03A${randomBytes(360).toString('base64url')}`;
    // A v2 key's widget is a checkbox: Google answers no score (and no action) for its tokens.
    const v2 =
      options.siteKey === this.checkbox.siteKey || options.siteKey === RECAPTCHA_TEST_KEYS.siteKey;
    this.ledger.remember(
      token,
      v2 ? { ...options, score: undefined } : options,
      nowMs,
      TOKEN_LIFETIME_SECONDS,
    );
    return token;
  }

  /** Judges one siteverify call. */
  verify({ body, nowMs }: FakeVerifyRequest): FakeVerdict {
    // Google reads form fields only; a JSON (or multipart) body is answered as an unreadable
    // token, which is what integrators sending JSON observe in practice.
    if ((body.encoding !== 'form' && body.encoding !== 'none') || body.fields === null) {
      return fakeFailure('invalid-input-response');
    }
    const secret = body.fields['secret'] ?? '';
    const response = body.fields['response'] ?? '';
    if (!secret) return fakeFailure('missing-input-secret');
    const isTestSecret = secret === RECAPTCHA_TEST_KEYS.secret;
    const isCheckboxSecret = secret === this.checkbox.secret;
    if (!isTestSecret && !isCheckboxSecret && secret !== this.productionSecret) {
      return fakeFailure('invalid-input-secret');
    }
    if (!response) return fakeFailure('missing-input-response');
    if (isTestSecret) {
      return {
        status: 200,
        body: {
          success: true,
          challenge_ts: fakeChallengeTimestamp(nowMs, 'seconds'),
          hostname: 'testkey.google.com',
        },
      };
    }

    const record = this.ledger.find(response);
    if (!record) return fakeFailure('invalid-input-response');
    // Solved for the other key pair: not a token of this secret's site key.
    if ((record.siteKey === this.checkbox.siteKey) !== isCheckboxSecret) {
      return fakeFailure('invalid-input-response');
    }
    if (record.redeemed || this.ledger.isExpired(record, nowMs)) {
      return fakeFailure('timeout-or-duplicate');
    }
    record.redeemed = true;
    const v3 = record.score === undefined ? {} : { score: record.score, action: record.action };
    return {
      status: 200,
      body: {
        success: true,
        challenge_ts: fakeChallengeTimestamp(record.issuedAtMs, 'seconds'),
        hostname: record.hostname,
        ...v3,
      },
    };
  }

  /** Forgets tokens. */
  reset(): void {
    this.ledger.clear();
  }
}
