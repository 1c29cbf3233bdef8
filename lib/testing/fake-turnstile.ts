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

/** Cloudflare's official Turnstile test keys
 * (https://developers.cloudflare.com/turnstile/troubleshooting/testing/).
 *
 * @internal
 */
export const TURNSTILE_TEST_KEYS = Object.freeze({
  siteKeys: Object.freeze({
    alwaysPasses: '1x00000000000000000000AA',
    alwaysBlocks: '2x00000000000000000000AB',
    alwaysPassesInvisible: '1x00000000000000000000BB',
    alwaysBlocksInvisible: '2x00000000000000000000BB',
    forcesInteractiveChallenge: '3x00000000000000000000FF',
  }),
  secrets: Object.freeze({
    alwaysPasses: '1x0000000000000000000000000000000AA',
    alwaysFails: '2x0000000000000000000000000000000AA',
    tokenAlreadySpent: '3x0000000000000000000000000000000AA',
  }),
  /** The token every dummy site key emits; only the test secrets accept it. */
  dummyToken: 'XXXX.DUMMY.TOKEN.XXXX',
} as const);

/** Longest token Turnstile accepts. */
const MAX_TOKEN_LENGTH = 2048;
const TOKEN_LIFETIME_SECONDS = 300;

interface IdempotentVerdict {
  readonly secret: string;
  readonly response: string;
  readonly verdict: FakeVerdict;
}

/**
 * Cloudflare Turnstile's siteverify: form, multipart or JSON bodies;
 * single-use tokens valid 300 s; `idempotency_key` retries replay the first verdict; the dummy
 * test secrets and token behave as documented. Every verdict is HTTP 200.
 *
 * @internal
 */
export class FakeTurnstile implements FakeProvider {
  readonly name = 'turnstile';
  readonly verifyPath = '/turnstile/v0/siteverify';
  private readonly ledger = new FakeTokenLedger();
  private readonly idempotentVerdicts = new Map<string, IdempotentVerdict>();

  /** @param productionSecret - the one non-test secret this fake accepts. */
  constructor(private readonly productionSecret: string) {}

  /** Mints a `0.`-prefixed token (about 700 characters, well under the 2048 limit). */
  issueToken(options: IssueTokenOptions, nowMs: number): string {
    const token = `0.${randomBytes(480).toString('base64url')}.${randomBytes(32).toString('hex')}`;
    this.ledger.remember(token, options, nowMs, TOKEN_LIFETIME_SECONDS);
    return token;
  }

  /** Judges one siteverify call. */
  verify({ body, nowMs }: FakeVerifyRequest): FakeVerdict {
    if (body.encoding === 'other' || body.fields === null) return fakeFailure('bad-request');
    const secret = body.fields['secret'] ?? '';
    const response = body.fields['response'] ?? '';
    const idempotencyKey = body.fields['idempotency_key'] ?? '';

    // Keys are kept until reset(); a known key with another token or secret is judged afresh
    // (Cloudflare does not document that case).
    const earlier = idempotencyKey ? this.idempotentVerdicts.get(idempotencyKey) : undefined;
    if (earlier && earlier.secret === secret && earlier.response === response) {
      return earlier.verdict;
    }
    const verdict = this.judge(secret, response, nowMs);
    if (idempotencyKey && secret && response) {
      this.idempotentVerdicts.set(idempotencyKey, { secret, response, verdict });
    }
    return verdict;
  }

  /** Forgets tokens and idempotency keys. */
  reset(): void {
    this.ledger.clear();
    this.idempotentVerdicts.clear();
  }

  private judge(secret: string, response: string, nowMs: number): FakeVerdict {
    if (!secret) return fakeFailure('missing-input-secret');
    const testSecret = this.testSecretKind(secret);
    if (!testSecret && secret !== this.productionSecret) return fakeFailure('invalid-input-secret');
    if (!response) return fakeFailure('missing-input-response');
    if (testSecret) return this.judgeWithTestSecret(testSecret, response, nowMs);

    if (response === TURNSTILE_TEST_KEYS.dummyToken) return fakeFailure('invalid-input-response');
    if (response.length > MAX_TOKEN_LENGTH) return fakeFailure('invalid-input-response');
    const record = this.ledger.find(response);
    if (!record) return fakeFailure('invalid-input-response');
    if (record.redeemed || this.ledger.isExpired(record, nowMs)) {
      return fakeFailure('timeout-or-duplicate');
    }
    record.redeemed = true;
    return {
      status: 200,
      body: {
        success: true,
        challenge_ts: fakeChallengeTimestamp(record.issuedAtMs, 'milliseconds'),
        hostname: record.hostname,
        'error-codes': [],
        action: record.action,
        cdata: record.cdata,
        metadata: { interactive: false },
      },
    };
  }

  private judgeWithTestSecret(
    kind: keyof typeof TURNSTILE_TEST_KEYS.secrets,
    response: string,
    nowMs: number,
  ): FakeVerdict {
    // Newer docs: a testing secret used with a non-test token is a secret error.
    if (response !== TURNSTILE_TEST_KEYS.dummyToken) return fakeFailure('invalid-input-secret');
    const metadata = { result_with_testing_key: true };
    if (kind === 'alwaysFails') return fakeFailure('invalid-input-response', { metadata });
    if (kind === 'tokenAlreadySpent') return fakeFailure('timeout-or-duplicate', { metadata });
    return {
      status: 200,
      body: {
        success: true,
        challenge_ts: fakeChallengeTimestamp(nowMs, 'milliseconds'),
        hostname: 'localhost',
        'error-codes': [],
        action: 'test',
        cdata: 'test-data',
        metadata,
      },
    };
  }

  private testSecretKind(secret: string): keyof typeof TURNSTILE_TEST_KEYS.secrets | undefined {
    const secrets = TURNSTILE_TEST_KEYS.secrets;
    return (Object.keys(secrets) as (keyof typeof secrets)[]).find((k) => secrets[k] === secret);
  }
}
