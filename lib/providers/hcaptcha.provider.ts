import { isIP } from 'node:net';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type {
  CaptchaProvider,
  ProviderReply,
  ProviderVerifyRequest,
} from './captcha-provider.interface';
import type { ErrorCodeMeaning } from './error-code-map';
import { reasonFromErrorCodes } from './error-code-map';
import type { ProviderHttpClient } from './provider-http-client';
import { invertRiskScore } from './reply-fields';
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

/** hCaptcha's public test site keys (Publisher, Enterprise safe user, Enterprise bot detected). */
const HCAPTCHA_TEST_SITE_KEYS: ReadonlySet<string> = new Set([
  '10000000-ffff-ffff-ffff-000000000001',
  '20000000-ffff-ffff-ffff-000000000002',
  '30000000-ffff-ffff-ffff-000000000003',
]);

/** The tokens hCaptcha's test widgets hand out, the same string on every solve. */
const HCAPTCHA_TEST_TOKENS: ReadonlySet<string> = new Set([
  '10000000-aaaa-bbbb-cccc-000000000001',
  '20000000-aaaa-bbbb-cccc-000000000002',
  '30000000-aaaa-bbbb-cccc-000000000003',
]);

/**
 * With a production site key, `not-using-dummy-passcode` can only come from the token: anyone can
 * send a public test token. Reading it as our own mistake would make it an outage, which a
 * fail-open policy lets through, so there it is a verdict on the token.
 */
const HCAPTCHA_ERROR_CODES_FOR_PRODUCTION_KEY: Record<string, ErrorCodeMeaning> = {
  ...HCAPTCHA_ERROR_CODES,
  'not-using-dummy-passcode': 'invalid',
};

/**
 * hCaptcha (`POST /siteverify`, form-encoded only). Sends `sitekey` so a token made for another
 * site fails. Enterprise replies carry a risk `score` where higher means more bot-like; it is
 * inverted (`1 - score`) so that every provider's score reads "1.0 = human".
 *
 * @internal
 */
export class HcaptchaProvider implements CaptchaProvider {
  readonly name = 'hcaptcha' as const;
  /** Not documented by hCaptcha; real tokens are a few thousand characters at most. */
  readonly maxTokenLength = 8192;
  readonly tokenLifetimeSeconds = 120;
  readonly replayProtection = 'verifier' as const;
  readonly siteKey?: string;
  private readonly verifyUrl: string;
  private readonly errorCodes: Record<string, ErrorCodeMeaning>;

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly http: ProviderHttpClient,
  ) {
    this.siteKey = options.siteKey;
    this.verifyUrl = options.verifyUrl ?? 'https://api.hcaptcha.com/siteverify';
    this.errorCodes =
      this.siteKey !== undefined && HCAPTCHA_TEST_SITE_KEYS.has(this.siteKey)
        ? HCAPTCHA_ERROR_CODES
        : HCAPTCHA_ERROR_CODES_FOR_PRODUCTION_KEY;
  }

  isPublicTestToken(token: string): boolean {
    return HCAPTCHA_TEST_TOKENS.has(token);
  }

  async verify(token: string, request: ProviderVerifyRequest): Promise<ProviderReply> {
    const form: Record<string, string> = {
      secret: await resolveSecret(this.options.secretKey),
      response: token,
    };
    if (this.siteKey) form.sitekey = this.siteKey;
    // hCaptcha answers `invalid-remoteip` (our mistake, an outage) to anything but an IP address.
    if (request.remoteIp && isIP(request.remoteIp) !== 0) form.remoteip = request.remoteIp;
    const response = await this.http.post({
      provider: this.name,
      url: this.verifyUrl,
      body: { form },
    });
    const reply = readSiteverifyReply(this.name, response);
    const score = reply.score === undefined ? undefined : invertRiskScore(reply.score);
    if (reply.success) return { ...reply, score };
    return {
      reason: reasonFromErrorCodes(
        this.name,
        reply.errorCodes,
        this.errorCodes,
        'check CAPTCHA_SECRET_KEY and CAPTCHA_SITE_KEY',
      ),
      ...reply,
      score,
    };
  }
}
