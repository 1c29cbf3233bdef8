import { randomUUID } from 'node:crypto';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
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

/** Cloudflare Turnstile's documented error codes, read in our vocabulary. */
const TURNSTILE_ERROR_CODES: Record<string, ErrorCodeMeaning> = {
  'missing-input-secret': 'misconfigured',
  'invalid-input-secret': 'misconfigured',
  'bad-request': 'misconfigured',
  'missing-input-response': 'malformed',
  'invalid-input-response': 'invalid',
  // Turnstile does not say which of the two happened; "already spent" is what its test secret means.
  'timeout-or-duplicate': 'duplicate',
  'internal-error': 'unavailable',
};

/** The token Turnstile's dummy site keys hand out on every solve. */
const TURNSTILE_DUMMY_TOKEN = 'XXXX.DUMMY.TOKEN.XXXX';

/**
 * Cloudflare Turnstile (`POST /turnstile/v0/siteverify`, form-encoded). Each verification carries
 * a fresh `idempotency_key`, and every retry of it reuses the same key, so a retry gets the first
 * verdict instead of burning the token.
 *
 * @internal
 */
export class TurnstileProvider implements CaptchaProvider {
  readonly name = 'turnstile' as const;
  readonly maxTokenLength = 2048;
  readonly tokenLifetimeSeconds = 300;
  readonly replayProtection = 'verifier' as const;
  readonly siteKey?: string;
  private readonly verifyUrl: string;

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly http: ProviderHttpClient,
  ) {
    this.siteKey = options.siteKey;
    this.verifyUrl =
      options.verifyUrl ?? 'https://challenges.cloudflare.com/turnstile/v0/siteverify';
  }

  isPublicTestToken(token: string): boolean {
    return token === TURNSTILE_DUMMY_TOKEN;
  }

  async verify(token: string, request: ProviderVerifyRequest): Promise<ProviderReply> {
    const form: Record<string, string> = {
      secret: await resolveSecret(this.options.secretKey),
      response: token,
      idempotency_key: randomUUID(),
    };
    if (request.remoteIp) form.remoteip = request.remoteIp;
    try {
      return await this.verifyOnce(form);
    } catch (error) {
      // `internal-error` at HTTP 200 is retryable; the same idempotency key keeps the token alive.
      if (
        error instanceof CaptchaUnavailableError &&
        error.details.errorCodes?.includes('internal-error')
      ) {
        return this.verifyOnce(form);
      }
      throw error;
    }
  }

  private async verifyOnce(form: Record<string, string>): Promise<ProviderReply> {
    const response = await this.http.post({
      provider: this.name,
      url: this.verifyUrl,
      body: { form },
    });
    const reply = readSiteverifyReply(this.name, response);
    // Test secrets answer `action: "test"` whatever the widget said; only they set this flag, so
    // dropping the action there keeps development with the official test keys working.
    const metadata = (response.json as { metadata?: { result_with_testing_key?: unknown } })
      .metadata;
    if (metadata?.result_with_testing_key === true) reply.action = undefined;
    if (reply.success) return reply;
    return {
      reason: reasonFromErrorCodes(
        this.name,
        reply.errorCodes,
        TURNSTILE_ERROR_CODES,
        'was the secret rotated in this environment?',
      ),
      ...reply,
    };
  }
}
