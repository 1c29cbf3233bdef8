import { FakeCaptchaServer, type RecordedRequest } from 'nestjs-captcha/testing';
import type { SiteverifyProfile } from './siteverify-contract';

/** The token and secret of a form-encoded siteverify call (Turnstile, reCAPTCHA, hCaptcha). */
const formEncoding = {
  contentType: 'application/x-www-form-urlencoded',
  token: (sent: RecordedRequest) => new URLSearchParams(sent.rawBody).get('response') ?? undefined,
  secret: (sent: RecordedRequest) => new URLSearchParams(sent.rawBody).get('secret') ?? undefined,
};
const json = (sent: RecordedRequest) => JSON.parse(sent.rawBody) as Record<string, unknown>;
const header = (sent: RecordedRequest, name: string) => sent.headers[name] as string | undefined;
/** A failed siteverify verdict as Cloudflare, Google and hCaptcha send it. */
const errorCodesRefusal = (code: string, status: number) => ({
  status,
  body: JSON.stringify({ success: false, 'error-codes': [code] }),
});

/**
 * What Turnstile, reCAPTCHA and hCaptcha share: one siteverify protocol (form-encoded, `error-codes`),
 * the same codes for a forged token and for a wrong or missing secret.
 */
function errorCodesProtocol(forgedToken: string, wrongSecretKey: string) {
  return {
    encoding: formEncoding,
    forged: { token: forgedToken, reason: 'invalid', errorCodes: ['invalid-input-response'] },
    wrongSecret: {
      secretKey: wrongSecretKey,
      details: { errorCodes: ['invalid-input-secret'] },
      messageContains: 'invalid-input-secret',
    },
    emptySecretDetails: { errorCodes: ['missing-input-secret'] },
    refusal: errorCodesRefusal,
  } satisfies Partial<SiteverifyProfile>;
}
/** Token codes every provider of that protocol answers. */
const ERROR_CODES_VERDICTS: SiteverifyProfile['verdictCodes'] = [
  ['missing-input-response', 'malformed', 200],
  ['invalid-input-response', 'invalid', 200],
];
/** Secret codes every provider of that protocol answers. */
const ERROR_CODES_MISCONFIGURED: SiteverifyProfile['misconfiguredCodes'] = [
  ['missing-input-secret', 200],
  ['invalid-input-secret', 200],
];

/** What each remote provider answers in the shared siteverify contract, from its protocol. */
export const SITEVERIFY_PROFILES: SiteverifyProfile[] = [
  {
    provider: 'turnstile',
    mint: (fake, hostname) => fake.issueToken({ provider: 'turnstile', hostname }),
    ...errorCodesProtocol('forged.token.value', '0x4AAAAAAAwrong-secret-value'),
    tokenPrefix: '0.',
    duplicateCode: 'timeout-or-duplicate',
    lifetimeSeconds: 300,
    // Cloudflare does not say which of the two happened; the shared code reads as duplicate.
    expired: { reason: 'duplicate', errorCodes: ['timeout-or-duplicate'] },
    maxTokenLength: 2048,
    verdictCodes: [...ERROR_CODES_VERDICTS, ['timeout-or-duplicate', 'duplicate', 200]],
    misconfiguredCodes: [...ERROR_CODES_MISCONFIGURED, ['bad-request', 200]],
  },
  {
    provider: 'recaptcha',
    mint: (fake, hostname) =>
      fake.issueToken({ provider: 'recaptcha', score: 0.9, action: 'login', hostname }),
    ...errorCodesProtocol(
      '03AforgedTokenThatGoogleNeverIssued',
      '6LwrongSecretRecaptchaDoNotLeakThis000000',
    ),
    tokenPrefix: '03A',
    duplicateCode: 'timeout-or-duplicate',
    lifetimeSeconds: 120,
    // Google does not say which of the two happened; the shared code reads as duplicate.
    expired: { reason: 'duplicate', errorCodes: ['timeout-or-duplicate'] },
    maxTokenLength: 4096,
    verdictCodes: [...ERROR_CODES_VERDICTS, ['timeout-or-duplicate', 'duplicate', 200]],
    misconfiguredCodes: [...ERROR_CODES_MISCONFIGURED, ['bad-request', 200]],
  },
  {
    provider: 'recaptcha-enterprise',
    extraOptions: () => ({ projectId: FakeCaptchaServer.projectId }),
    mint: (fake, hostname) =>
      fake.issueToken({ provider: 'recaptcha-enterprise', score: 0.9, action: 'login', hostname }),
    encoding: {
      contentType: 'application/json',
      token: (sent) => (json(sent).event as { token?: string } | undefined)?.token,
      // The API key travels in the query only.
      secret: (sent) => new URL(sent.url, 'http://fake').searchParams.get('key') ?? undefined,
    },
    tokenPrefix: '03A',
    forged: {
      token: '03AforgedTokenGoogleNeverIssued',
      reason: 'malformed',
      errorCodes: ['MALFORMED'],
    },
    wrongSecret: {
      secretKey: 'AIzaWrongKeyDoNotLeakThis0000000000000',
      details: { status: 400, errorCodes: ['INVALID_ARGUMENT'] },
      messageContains: 'CAPTCHA_PROJECT_ID',
    },
    emptySecretDetails: { status: 400, errorCodes: ['INVALID_ARGUMENT'] },
    duplicateCode: 'DUPE',
    lifetimeSeconds: 120,
    expired: { reason: 'expired', errorCodes: ['EXPIRED'] },
    maxTokenLength: 4096,
    // A verdict is an assessment with valid:false; our own mistake is Google's error envelope.
    refusal: (code, status) => ({
      status,
      body: JSON.stringify(
        status === 200
          ? { tokenProperties: { valid: false, invalidReason: code }, riskAnalysis: { score: 0 } }
          : { error: { code: status, message: 'no', status: code } },
      ),
    }),
    verdictCodes: [
      ['MALFORMED', 'malformed', 200],
      ['MISSING', 'malformed', 200],
      ['EXPIRED', 'expired', 200],
      ['DUPE', 'duplicate', 200],
      ['BROWSER_ERROR', 'invalid', 200],
      ['SITE_MISMATCH', 'invalid', 200],
      ['UNKNOWN_INVALID_REASON', 'invalid', 200],
      ['INVALID_REASON_UNSPECIFIED', 'invalid', 200],
      ['A_REASON_GOOGLE_ADDS_LATER', 'invalid', 200],
    ],
    misconfiguredCodes: [
      ['INVALID_ARGUMENT', 400],
      ['UNAUTHENTICATED', 401],
      ['PERMISSION_DENIED', 403],
      ['NOT_FOUND', 404],
    ],
    misconfiguredDetails: (code, status) => ({ status, errorCodes: [code] }),
  },
  {
    provider: 'hcaptcha',
    mint: (fake, hostname) => fake.issueToken({ provider: 'hcaptcha', hostname }),
    ...errorCodesProtocol('P1_forged.token.value', '0xwrongSecretHcaptchaDoNotLeakThis0000000'),
    tokenPrefix: 'P1_',
    duplicateCode: 'already-seen-response',
    lifetimeSeconds: 120,
    expired: { reason: 'expired', errorCodes: ['expired-input-response'] },
    maxTokenLength: 8192,
    verdictCodes: [
      ...ERROR_CODES_VERDICTS,
      ['expired-input-response', 'expired', 200],
      ['already-seen-response', 'duplicate', 200],
      ['invalid-or-already-seen-response', 'duplicate', 200],
    ],
    misconfiguredCodes: [
      ...ERROR_CODES_MISCONFIGURED,
      ['sitekey-secret-mismatch', 200],
      ['not-using-dummy-secret', 200],
      ['bad-request', 200],
      ['missing-remoteip', 200],
      ['invalid-remoteip', 200],
    ],
  },
  {
    provider: 'friendly-captcha',
    mint: (fake, hostname) => fake.issueToken({ provider: 'friendly-captcha', hostname }),
    encoding: {
      contentType: 'application/json',
      token: (sent) => json(sent).response as string | undefined,
      secret: (sent) => header(sent, 'x-api-key'),
    },
    tokenPrefix: '',
    forged: { token: 'forged.response', reason: 'invalid', errorCodes: ['response_invalid'] },
    wrongSecret: {
      secretKey: 'A1WRONGKEYDONOTLEAKTHIS000000000',
      details: { errorCodes: ['auth_invalid'] },
      messageContains: 'auth_invalid',
    },
    emptySecretDetails: { errorCodes: ['auth_required'] },
    duplicateCode: 'response_duplicate',
    lifetimeSeconds: 600,
    expired: { reason: 'expired', errorCodes: ['response_timeout'] },
    maxTokenLength: 16384,
    refusal: (code, status) => ({
      status,
      body: JSON.stringify({ success: false, error: { error_code: code, detail: 'human text' } }),
    }),
    verdictCodes: [
      ['response_missing', 'malformed', 400],
      ['response_invalid', 'invalid', 200],
      ['response_timeout', 'expired', 200],
      ['response_duplicate', 'duplicate', 200],
      ['a_code_added_later', 'invalid', 200],
    ],
    misconfiguredCodes: [
      ['auth_required', 401],
      ['auth_invalid', 401],
      ['sitekey_invalid', 400],
      ['bad_request', 400],
    ],
  },
  {
    provider: 'captchala',
    extraOptions: (fake) => ({
      captchala: { backupUrl: fake.endpointUrl('captchala', 'backup') },
    }),
    mint: (fake, hostname) =>
      fake.issueToken({ provider: 'captchala', score: 10, action: 'login', hostname }),
    encoding: {
      contentType: 'application/json',
      token: (sent) => json(sent).pass_token as string | undefined,
      secret: (sent) => header(sent, 'x-app-secret'),
    },
    tokenPrefix: 'pt_',
    forged: {
      token: 'pt_forgedTokenCaptchaLaNeverIssued',
      reason: 'invalid',
      errorCodes: ['token_not_found'],
    },
    wrongSecret: {
      secretKey: 'wrong-captchala-secret-do-not-leak',
      details: { status: 401, errorCodes: ['invalid_app_credentials'] },
      messageContains: 'CAPTCHA_SECRET_KEY',
    },
    emptySecretDetails: { status: 401, errorCodes: ['invalid_app_credentials'] },
    duplicateCode: 'token_already_used',
    lifetimeSeconds: 300,
    expired: { reason: 'expired', errorCodes: ['token_expired'] },
    maxTokenLength: 4096,
    refusal: (code, status) => ({
      status,
      body: JSON.stringify({ code: 0, data: { valid: false, error: code } }),
    }),
    verdictCodes: [
      ['token_expired', 'expired', 200],
      ['challenge_expired', 'expired', 200],
      ['token_already_used', 'duplicate', 200],
      ['token_not_found', 'invalid', 200],
      ['challenge_not_found', 'invalid', 200],
      ['invalid_answer', 'invalid', 200],
      ['a_code_added_later', 'invalid', 200],
    ],
    // CaptchaLa names no code for our own mistake in a refusal: its keys are refused by status.
    misconfiguredCodes: [],
  },
];
