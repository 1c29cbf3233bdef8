import { Inject, Injectable } from '@nestjs/common';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaStore } from '../stores/captcha-store.interface';
import { clearanceRevokedKey, remainingMs } from './clearance-store-keys';
import { ClearanceTokens } from './clearance-token';
import { appendResponseHeader, clearanceCookie, clearanceOf } from './clearance-transport';

/**
 * Revokes clearances (README: Clearance), e.g. on logout or a password change: the revocation is
 * recorded in the store under the clearance's id until it would have expired, so every instance
 * sharing the store refuses it from then on (`captcha_clearances_total{outcome="revoked"}`).
 *
 * @example
 * ```ts
 * @Post('logout')
 * async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
 *   await this.clearances.revoke(req, res); // and clears the cookie
 * }
 * ```
 * @public
 */
@Injectable()
export class CaptchaClearances {
  private readonly tokens: ClearanceTokens | undefined;

  constructor(
    @Inject(CAPTCHA_OPTIONS) options: ResolvedCaptchaOptions,
    @Inject(CaptchaStore) private readonly store: CaptchaStore,
  ) {
    const key = options.clearance?.key;
    this.tokens = key === undefined ? undefined : new ClearanceTokens(key);
  }

  /**
   * Revokes the clearance `request` carries (header `x-captcha-clearance`, else cookie
   * `captcha_clearance`) and, given the response (Express or Fastify), clears the cookie.
   * Resolves `true` when a valid clearance was revoked, `false` when there was none (or it was
   * forged or expired already).
   *
   * @throws {CaptchaStoreError} when the store cannot record the revocation.
   */
  async revoke(request: unknown, response?: unknown): Promise<boolean> {
    if (response !== undefined && this.tokens !== undefined) {
      appendResponseHeader(response, 'set-cookie', clearanceCookie(request, '', 0));
    }
    return this.revokeToken(clearanceOf(request));
  }

  /**
   * Revokes one clearance value (e.g. one an API client sent in a header). `false` when it is not
   * a valid clearance of this app, or has expired already.
   *
   * @throws {CaptchaStoreError} when the store cannot record the revocation.
   */
  async revokeToken(token: unknown): Promise<boolean> {
    const claims = this.tokens?.open(token);
    if (claims === undefined) return false;
    const now = Date.now();
    if (claims.expiresAt * 1000 <= now) return false;
    await this.store.increment(clearanceRevokedKey(claims.id), remainingMs(claims.expiresAt, now));
    return true;
  }
}
