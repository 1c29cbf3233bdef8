import { Inject, Injectable } from '@nestjs/common';
import { CAPTCHA_OPTIONS, CAPTCHA_PROVIDER } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProvider } from '../providers/captcha-provider.interface';
import { CaptchaStore } from '../stores/captcha-store.interface';
import { hashStoreKey } from '../stores/hash-store-key';
import type { CaptchaReason } from './captcha-reason';
import type { CaptchaVerification, CaptchaVerifyOptions } from './captcha-verification.interface';
import { claimOnce, releaseQuietly } from './claim-once';
import { judgeReply } from './judge-reply';

/** Printable ASCII without spaces: every provider's tokens fit; NUL bytes and unicode do not. */
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * Verifies CAPTCHA tokens with the configured provider. Inject it anywhere (services, gateways,
 * resolvers) when a guard does not fit.
 *
 * @example
 * ```ts
 * constructor(private readonly captcha: CaptchaVerifier) {}
 *
 * const v = await this.captcha.verify(token, { action: 'comment', remoteIp });
 * if (!v.success) throw new ForbiddenException(v.reason);
 * ```
 */
@Injectable()
export class CaptchaVerifier {
  constructor(
    @Inject(CAPTCHA_PROVIDER) private readonly provider: CaptchaProvider,
    @Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions,
    @Inject(CaptchaStore) private readonly store: CaptchaStore,
  ) {}

  /** The provider this verifier asks. */
  get providerName(): CaptchaProvider['name'] {
    return this.provider.name;
  }

  /** The public site key clients render the widget with (absent for ALTCHA). */
  get siteKey(): string | undefined {
    return this.provider.siteKey;
  }

  /**
   * Verifies a token. Resolves with `success: false` and a reason for any bad token (including
   * values that are not strings); never throws for one.
   *
   * @throws {@link CaptchaUnavailableError} when the provider cannot answer, or rejects our own
   *   secret or site key (`kind: 'misconfigured'`).
   */
  async verify(token: unknown, call: CaptchaVerifyOptions = {}): Promise<CaptchaVerification> {
    if (token === undefined) return this.failure('missing');
    if (
      typeof token !== 'string' ||
      token.length === 0 ||
      token.length > this.provider.maxTokenLength
    ) {
      return this.failure('malformed');
    }
    if (!TOKEN_CHARACTERS.test(token)) return this.failure('malformed');

    const claimKey =
      this.provider.replayProtection === 'verifier' && !this.provider.isPublicTestToken?.(token)
        ? this.claimKey(token)
        : undefined;
    const ttlMs = this.provider.tokenLifetimeSeconds * 1000;
    if (
      claimKey &&
      !(await claimOnce(this.store, claimKey, ttlMs, this.options.storeFailureMode))
    ) {
      return this.failure('duplicate');
    }

    let reply;
    try {
      reply = await this.provider.verify(token, { remoteIp: call.remoteIp });
    } catch (error) {
      // The provider never judged the token, so it must stay redeemable for a retry.
      if (claimKey) await releaseQuietly(this.store, claimKey);
      if (error instanceof CaptchaUnavailableError) throw error;
      throw new CaptchaUnavailableError(
        this.provider.name,
        'bad_response',
        `${this.provider.name} verification failed unexpectedly`,
      );
    }
    const reason = judgeReply(reply, call, this.options);
    return {
      success: reason === undefined,
      provider: this.provider.name,
      ...(reason ? { reason } : {}),
      action: reply.action,
      hostname: reply.hostname,
      score: reply.score,
      challengeTs: reply.challengeTs,
      errorCodes: reply.errorCodes,
    };
  }

  private failure(reason: CaptchaReason): CaptchaVerification {
    return { success: false, provider: this.provider.name, reason, errorCodes: [] };
  }

  private claimKey(token: string): string {
    return hashStoreKey(`claim:${this.provider.name}`, token);
  }
}
