import { RECAPTCHA_V2_STEP_UP } from '../contracts/captcha-provider-name';
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

/** Google reCAPTCHA siteverify's documented error codes, read in our vocabulary. */
const RECAPTCHA_ERROR_CODES: Record<string, ErrorCodeMeaning> = {
  'missing-input-secret': 'misconfigured',
  'invalid-input-secret': 'misconfigured',
  'bad-request': 'misconfigured',
  'missing-input-response': 'malformed',
  'invalid-input-response': 'invalid',
  'timeout-or-duplicate': 'duplicate',
};

/**
 * Google reCAPTCHA v2 and v3 (`POST /recaptcha/api/siteverify`, form-encoded only: Google rejects
 * JSON). A v3 reply carries `score` and `action`; the verifier holds the score to `minScore`.
 *
 * Named `recaptcha-v2`, it is the v2 checkbox step-up with its own keys: a reply with a score is
 * a v3 token, never a checkbox answer, and is refused (`invalid`).
 *
 * @internal
 */
export class RecaptchaProvider implements CaptchaProvider {
  /** Not documented by Google; real tokens run to about 2,000 characters. */
  readonly maxTokenLength = 4096;
  readonly tokenLifetimeSeconds = 120;
  readonly replayProtection = 'verifier' as const;
  readonly siteKey?: string;
  private readonly verifyUrl: string;

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly http: ProviderHttpClient,
    /** `recaptcha-v2`: the checkbox step-up (its own circuit, metric label and claims). */
    readonly name: 'recaptcha' | typeof RECAPTCHA_V2_STEP_UP = 'recaptcha',
  ) {
    this.siteKey = options.siteKey;
    this.verifyUrl = options.verifyUrl ?? 'https://www.google.com/recaptcha/api/siteverify';
  }

  async verify(token: string, request: ProviderVerifyRequest): Promise<ProviderReply> {
    const form: Record<string, string> = {
      secret: await resolveSecret(this.options.secretKey),
      response: token,
    };
    if (request.remoteIp) form.remoteip = request.remoteIp;
    const response = await this.http.post({
      provider: this.name,
      url: this.verifyUrl,
      body: { form },
    });
    const reply = readSiteverifyReply(this.name, response);
    if (reply.success && reply.score !== undefined && this.name === RECAPTCHA_V2_STEP_UP) {
      return { ...reply, success: false, reason: 'invalid', errorCodes: ['score-on-checkbox'] };
    }
    if (reply.success) return reply;
    return {
      reason: reasonFromErrorCodes(
        this.name,
        reply.errorCodes,
        RECAPTCHA_ERROR_CODES,
        'check CAPTCHA_SECRET_KEY',
      ),
      ...reply,
    };
  }
}
