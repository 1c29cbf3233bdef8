import { randomUUID } from 'node:crypto';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import type { CaptchaProvider, ProviderReply } from '../providers/captcha-provider.interface';
import { CAPTCHA_REASONS, type CaptchaReason } from '../contracts/captcha-reason';

/**
 * Tokens {@link CaptchaTestingModule} understands. Any other token fails as `invalid`.
 *
 * | token | verdict |
 * |---|---|
 * | `test-pass`, `test-pass:<anything>` | success, once: a replay is `duplicate` (the real single-use claim) |
 * | `test-fail:<reason>` (e.g. `test-fail:duplicate`) | failure with that reason, as often as sent |
 * | `test-unavailable` | the provider is down (`CaptchaUnavailableError`) |
 * | `test-misconfigured` | the provider rejects our secret |
 *
 * A passing token is spent like a real one, so a test that passes several requests needs a new
 * token for each: `CAPTCHA_TEST_TOKENS.freshPass()`, or a literal `test-pass:1`, `test-pass:2`.
 *
 * @public
 */
export const CAPTCHA_TEST_TOKENS = {
  pass: 'test-pass',
  /** A passing token never used before (`test-pass:<uuid>`). */
  freshPass: () => `test-pass:${randomUUID()}`,
  fail: (reason: CaptchaReason) => `test-fail:${reason}`,
  unavailable: 'test-unavailable',
  misconfigured: 'test-misconfigured',
} as const;

/**
 * A provider that judges {@link CAPTCHA_TEST_TOKENS} without any network. For tests only.
 *
 * @public
 */
export class TestCaptchaProvider implements CaptchaProvider {
  readonly maxTokenLength = 4096;
  readonly tokenLifetimeSeconds = 300;
  // The verifier's single-use claim, as for the real providers: a regression in claims shows up
  // in users' tests too.
  readonly replayProtection = 'verifier' as const;

  constructor(
    readonly name: CaptchaProviderName,
    readonly siteKey: string | undefined,
    private readonly score?: number,
  ) {}

  async verify(token: string): Promise<ProviderReply> {
    if (token === CAPTCHA_TEST_TOKENS.pass || token.startsWith(`${CAPTCHA_TEST_TOKENS.pass}:`))
      return { success: true, errorCodes: [], score: this.score };
    if (token === CAPTCHA_TEST_TOKENS.unavailable) {
      throw new CaptchaUnavailableError(
        this.name,
        'network',
        `${this.name} unreachable (test token)`,
      );
    }
    if (token === CAPTCHA_TEST_TOKENS.misconfigured) {
      throw new CaptchaUnavailableError(
        this.name,
        'misconfigured',
        `${this.name} rejected our credentials (test token)`,
      );
    }
    const reason = token.startsWith('test-fail:') ? token.slice('test-fail:'.length) : 'invalid';
    const known = (CAPTCHA_REASONS as readonly string[]).includes(reason)
      ? (reason as CaptchaReason)
      : 'invalid';
    return { success: false, reason: known, errorCodes: [`test-${known}`] };
  }
}
