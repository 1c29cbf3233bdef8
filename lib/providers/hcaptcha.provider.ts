import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type {
  CaptchaProvider,
  ProviderReply,
  ProviderVerifyRequest,
} from './captcha-provider.interface';
import type { ErrorCodeMeaning } from './error-code-map';
import { reasonFromErrorCodes } from './error-code-map';
import type { ProviderHttpClient } from './provider-http-client';
import { resolveSecret } from './resolve-secret';
import { readSiteverifyReply } from './siteverify-reply';

/** hCaptcha's documented error codes, read in our vocabulary. */
const HCAPTCHA_ERROR_CODES: Record<string, ErrorCodeMeaning> = {
  'missing-input-secret': 'misconfigured',
  'invalid-input-secret': 'misconfigured',
  'sitekey-secret-mismatch': 'misconfigured',
  'not-using-dummy-passcode': 'misconfigured',
  'not-using-dummy-secret': 'misconfigured',
  'bad-request': 'misconfigured',
  // We only send a remote IP that parses; a complaint about it means the account requires one.
  'missing-remoteip': 'misconfigured',
  'invalid-remoteip': 'misconfigured',
  'missing-input-response': 'malformed',
  'invalid-input-response': 'invalid',
  'expired-input-response': 'expired',
  'already-seen-response': 'duplicate',
  'invalid-or-already-seen-response': 'duplicate',
};

/**
 * hCaptcha (`POST /siteverify`, form-encoded only). Sends `sitekey` so a token made for another
 * site fails. Enterprise replies carry a risk `score` where higher means more bot-like; it is
 * inverted (`1 - score`) so that every provider's score reads "1.0 = human".
 */
export class HcaptchaProvider implements CaptchaProvider {
  readonly name = 'hcaptcha' as const;
  /** Not documented by hCaptcha; real tokens are a few thousand characters at most. */
  readonly maxTokenLength = 8192;
  readonly tokenLifetimeSeconds = 120;
  readonly replayProtection = 'verifier' as const;
  readonly siteKey?: string;
  private readonly verifyUrl: string;

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly http: ProviderHttpClient,
  ) {
    this.siteKey = options.siteKey;
    this.verifyUrl = options.verifyUrl ?? 'https://api.hcaptcha.com/siteverify';
  }

  async verify(token: string, request: ProviderVerifyRequest): Promise<ProviderReply> {
    const form: Record<string, string> = {
      secret: await resolveSecret(this.options.secretKey),
      response: token,
    };
    if (this.siteKey) form.sitekey = this.siteKey;
    if (request.remoteIp) form.remoteip = request.remoteIp;
    const response = await this.http.post({
      provider: this.name,
      url: this.verifyUrl,
      body: { form },
    });
    const reply = readSiteverifyReply(this.name, response);
    const score = reply.score === undefined ? undefined : Math.min(1, Math.max(0, 1 - reply.score));
    if (reply.success) return { ...reply, score };
    return {
      ...reply,
      score,
      reason: reasonFromErrorCodes(
        this.name,
        reply.errorCodes,
        HCAPTCHA_ERROR_CODES,
        'check CAPTCHA_SECRET_KEY and CAPTCHA_SITE_KEY',
      ),
    };
  }
}
