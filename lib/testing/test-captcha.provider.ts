import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProviderName } from '../providers/captcha-provider-name';
import type { CaptchaProvider, ProviderReply } from '../providers/captcha-provider.interface';
import { CAPTCHA_REASONS, type CaptchaReason } from '../verification/captcha-reason';

/**
 * Tokens {@link CaptchaTestingModule} understands. Any other token fails as `invalid`.
 *
 * | token | verdict |
 * |---|---|
 * | `test-pass` | success |
 * | `test-fail:<reason>` (e.g. `test-fail:duplicate`) | failure with that reason |
 * | `test-unavailable` | the provider is down (`CaptchaUnavailableError`) |
 * | `test-misconfigured` | the provider rejects our secret |
 */
export const CAPTCHA_TEST_TOKENS = {
  pass: 'test-pass',
  fail: (reason: CaptchaReason) => `test-fail:${reason}`,
  unavailable: 'test-unavailable',
  misconfigured: 'test-misconfigured',
} as const;

/** A provider that judges {@link CAPTCHA_TEST_TOKENS} without any network. For tests only. */
export class TestCaptchaProvider implements CaptchaProvider {
  readonly maxTokenLength = 4096;
  readonly tokenLifetimeSeconds = 300;
  // Test tokens stay reusable: one constant token serves a whole suite.
  readonly replayProtection = 'provider' as const;

  constructor(
    readonly name: CaptchaProviderName,
    readonly siteKey: string | undefined,
    private readonly score?: number,
  ) {}

  async verify(token: string): Promise<ProviderReply> {
    if (token === CAPTCHA_TEST_TOKENS.pass)
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
