import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { ProviderReply } from '../providers/captcha-provider.interface';
import type { CaptchaReason } from '../contracts/captcha-reason';
import type { CaptchaVerifyOptions } from './captcha-verification.interface';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import { maxTokenAgeMs } from './token-lifetime';

/**
 * Every policy check after the provider's verdict, in one place: action, hostname, score, age.
 * Returns the reason the reply fails, or `undefined` when it passes.
 *
 * @internal
 */
export function judgeReply(
  reply: ProviderReply,
  call: CaptchaVerifyOptions,
  options: ResolvedCaptchaOptions,
  now: number = Date.now(),
  provider?: CaptchaVerifierName,
): CaptchaReason | undefined {
  if (!reply.success) return reply.reason ?? 'invalid';

  // Providers without an action (reCAPTCHA v2, hCaptcha) cannot mismatch; those with one must match.
  if (call.action !== undefined && reply.action !== undefined && reply.action !== call.action) {
    return 'action_mismatch';
  }

  const hostnames = call.expectedHostname
    ? [...options.expectedHostnames, call.expectedHostname.toLowerCase()]
    : options.expectedHostnames;
  if (
    hostnames.length > 0 &&
    (reply.hostname === undefined || !hostnames.includes(reply.hostname.toLowerCase()))
  ) {
    return 'hostname_mismatch';
  }

  // An explicit threshold (call or per action) demands a score; the module default only judges one.
  const explicitMinScore =
    call.minScore ??
    (call.action !== undefined ? options.minScoreByAction[call.action] : undefined);
  if (call.interactive === true) {
    // A step-up's widget is the proof itself: a score, if any, was what sent the client here.
  } else if (reply.score === undefined) {
    if (explicitMinScore !== undefined) return 'score_too_low';
  } else if (reply.score < (explicitMinScore ?? options.minScore)) {
    return 'score_too_low';
  }

  // The module's limit, else the provider's documented token lifetime (with a clock allowance).
  if (reply.challengeTs !== undefined) {
    const maxAgeMs = maxTokenAgeMs(provider, options.maxTokenAgeSeconds);
    if (maxAgeMs !== undefined && now - reply.challengeTs.getTime() > maxAgeMs) return 'expired';
  }
  return undefined;
}
