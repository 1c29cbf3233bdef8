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

/** What each remote provider answers in the shared siteverify contract, from its protocol. */
export const SITEVERIFY_PROFILES: SiteverifyProfile[] = [
  {
    provider: 'turnstile',
    mint: (fake, hostname) => fake.issueToken({ provider: 'turnstile', hostname }),
    encoding: formEncoding,
    tokenPrefix: '0.',
    forged: {
      token: 'forged.token.value',
      reason: 'invalid',
      errorCodes: ['invalid-input-response'],
    },
    wrongSecret: {
      secretKey: '0x4AAAAAAAwrong-secret-value',
      details: { errorCodes: ['invalid-input-secret'] },
      messageContains: 'invalid-input-secret',
    },
    emptySecretDetails: { errorCodes: ['missing-input-secret'] },
    duplicateCode: 'timeout-or-duplicate',
    lifetimeSeconds: 300,
    // Cloudflare does not say which of the two happened; the shared code reads as duplicate.
    expired: { reason: 'duplicate', errorCodes: ['timeout-or-duplicate'] },
    maxTokenLength: 2048,
  },
  {
    provider: 'recaptcha',
    mint: (fake, hostname) =>
      fake.issueToken({ provider: 'recaptcha', score: 0.9, action: 'login', hostname }),
    encoding: formEncoding,
    tokenPrefix: '03A',
    forged: {
      token: '03AforgedTokenThatGoogleNeverIssued',
      reason: 'invalid',
      errorCodes: ['invalid-input-response'],
    },
    wrongSecret: {
      secretKey: '6LwrongSecretRecaptchaDoNotLeakThis000000',
      details: { errorCodes: ['invalid-input-secret'] },
      messageContains: 'invalid-input-secret',
    },
    emptySecretDetails: { errorCodes: ['missing-input-secret'] },
    duplicateCode: 'timeout-or-duplicate',
    lifetimeSeconds: 120,
    // Google does not say which of the two happened; the shared code reads as duplicate.
    expired: { reason: 'duplicate', errorCodes: ['timeout-or-duplicate'] },
    maxTokenLength: 4096,
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
  },
  {
    provider: 'hcaptcha',
    mint: (fake, hostname) => fake.issueToken({ provider: 'hcaptcha', hostname }),
    encoding: formEncoding,
    tokenPrefix: 'P1_',
    forged: {
      token: 'P1_forged.token.value',
      reason: 'invalid',
      errorCodes: ['invalid-input-response'],
    },
    wrongSecret: {
      secretKey: '0xwrongSecretHcaptchaDoNotLeakThis0000000',
      details: { errorCodes: ['invalid-input-secret'] },
      messageContains: 'invalid-input-secret',
    },
    emptySecretDetails: { errorCodes: ['missing-input-secret'] },
    duplicateCode: 'already-seen-response',
    lifetimeSeconds: 120,
    expired: { reason: 'expired', errorCodes: ['expired-input-response'] },
    maxTokenLength: 8192,
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
  },
];
