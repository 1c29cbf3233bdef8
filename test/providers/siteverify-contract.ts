import {
  type CaptchaModuleOptions,
  type CaptchaReason,
  type CaptchaVerification,
  type CaptchaVerifier,
} from 'nestjs-captcha';
import { type FaultOptions, FakeCaptchaServer, type RecordedRequest } from 'nestjs-captcha/testing';
import { unavailable } from '../support/expect-unavailable';
import { providerFixture } from '../support/provider-fixture';

/** The providers judged by a remote siteverify call (ALTCHA verifies locally: no contract). */
export type SiteverifyProvider =
  | 'turnstile'
  | 'recaptcha'
  | 'recaptcha-enterprise'
  | 'hcaptcha'
  | 'friendly-captcha'
  | 'captchala';

/** A verdict the provider gives, as the verifier reports it. */
export interface ExpectedRefusal {
  reason: CaptchaReason;
  errorCodes: string[];
}

/** What differs between providers in the siteverify contract. */
export interface SiteverifyProfile {
  provider: SiteverifyProvider;
  /** Options besides provider, keys and the fake's route (a project id, a backup URL…). */
  extraOptions?: (fake: FakeCaptchaServer) => Partial<CaptchaModuleOptions>;
  /** A token the fake judges valid (whatever action and score the provider needs to pass). */
  mint: (fake: FakeCaptchaServer, hostname?: string) => string;
  /** The body encoding: the content type sent, and where the token and the secret travel. */
  encoding: {
    contentType: string;
    token: (sent: RecordedRequest) => string | undefined;
    secret: (sent: RecordedRequest) => string | undefined;
  };
  /** The prefix the provider's real tokens have (some route by prefix). */
  tokenPrefix: string;
  /** A token the provider never issued, and how it answers it. */
  forged: ExpectedRefusal & { token: string };
  /** A secret the provider does not know, and how the refusal reads. */
  wrongSecret: { secretKey: string; details: Record<string, unknown>; messageContains: string };
  /** How the provider refuses a call whose secret resolves to `''`. */
  emptySecretDetails: Record<string, unknown>;
  /** The provider's code when another instance already redeemed the token. */
  duplicateCode: string;
  /** How long the provider honours a token, and how it refuses one past that. */
  lifetimeSeconds: number;
  expired: ExpectedRefusal;
  /** The longest token the verifier sends. */
  maxTokenLength: number;
  /** The provider's refusal carrying `code`, as it sends it with HTTP `status`. */
  refusal: (code: string, status: number) => FaultOptions;
  /** Codes that judge the token: code, the reason it reads as, and the HTTP status it comes with. */
  verdictCodes: [code: string, reason: CaptchaReason, status: number][];
  /** Codes that name our own mistake (keys, request), with their HTTP status: never a verdict. */
  misconfiguredCodes: [code: string, status: number][];
  /** What the error's details hold for such a code (default: the code). */
  misconfiguredDetails?: (code: string, status: number) => Record<string, unknown>;
}

/** A token the verifier refuses itself, without a call. */
const neverSent = (prefix: string): [string, unknown, CaptchaReason][] => [
  ['nothing', undefined, 'missing'],
  ['an empty string', '', 'malformed'],
  ['a token with a space', `${prefix}abc def`, 'malformed'],
  ['a token with a line break', `${prefix}abc\ndef`, 'malformed'],
  ['a token with a NUL byte', `${prefix}abc\u0000def`, 'malformed'],
  ['a token with unicode', `${prefix}abcdé€`, 'malformed'],
  ['null', null, 'malformed'],
  ['a number', 12345, 'malformed'],
  ['an array', [`${prefix}abc`], 'malformed'],
  ['an object', { token: `${prefix}abc` }, 'malformed'],
];

/**
 * Registers the siteverify contract every remote provider keeps — keys refused without leaking
 * them, outages never read as a pass and never burning a token, replays and expiry, hostnames, and
 * tokens refused before any call — against a real verifier talking HTTP to a `FakeCaptchaServer`.
 * Call it inside a `describe` (one per provider); provider-specific cases live in their own spec.
 */
export function siteverifyContract(profile: SiteverifyProfile): void {
  const { provider } = profile;
  const SECRET = FakeCaptchaServer.secrets[provider];
  const fx = providerFixture(provider, { extraOptions: profile.extraOptions });
  const { build, lastRequest } = fx;
  let fake: FakeCaptchaServer;
  let verifier: CaptchaVerifier;
  beforeAll(() => ({ fake, verifier } = fx));

  const token = (hostname?: string) => profile.mint(fake, hostname);
  /** The verdict when the token was never redeemed: the outage or refusal did not burn it. */
  const stillRedeemable = async (t: string, by: CaptchaVerifier = verifier) =>
    expect((await by.verify(t)).success).toBe(true);

  describe('encoding', () => {
    it(`sends the token and the secret ${profile.encoding.contentType}`, async () => {
      const t = token();
      expect((await verifier.verify(t)).success).toBe(true);
      const sent = lastRequest();
      expect(sent).toMatchObject({ provider, method: 'POST' });
      expect(sent.contentType).toContain(profile.encoding.contentType);
      expect(profile.encoding.token(sent)).toBe(t);
      expect(profile.encoding.secret(sent)).toBe(SECRET);
    });

    it('delivers a token with characters the encoding escapes byte for byte, never as a pass', async () => {
      const odd = `${profile.tokenPrefix}odd+token/with=every&escaped%20char?#"'\\`;
      expect((await verifier.verify(odd)).success).toBe(false);
      expect(profile.encoding.token(lastRequest())).toBe(odd);
    });
  });

  describe('verdicts', () => {
    it(`maps a forged token to ${profile.forged.reason} (${profile.forged.errorCodes.join(', ')})`, async () => {
      expect(await verifier.verify(profile.forged.token)).toMatchObject({
        success: false,
        provider,
        reason: profile.forged.reason,
        errorCodes: profile.forged.errorCodes,
      });
    });

    it('refuses a replay from its own store without asking the provider again', async () => {
      const t = token();
      expect((await verifier.verify(t)).success).toBe(true);
      const before = fake.requests.length;
      expect(await verifier.verify(t)).toEqual({
        success: false,
        provider,
        reason: 'duplicate',
        errorCodes: [],
        latencyMs: expect.any(Number),
      });
      expect(fake.requests.length).toBe(before);
    });

    it(`maps ${profile.duplicateCode} (another instance redeemed it) to duplicate`, async () => {
      const other = await build();
      const t = token();
      expect((await other.verify(t)).success).toBe(true);
      const before = fake.requests.length;
      expect(await verifier.verify(t)).toMatchObject({
        success: false,
        reason: 'duplicate',
        errorCodes: [profile.duplicateCode],
      });
      expect(fake.requests.length).toBe(before + 1);
    });

    it(`still accepts a token just inside its ${profile.lifetimeSeconds} s lifetime`, async () => {
      const t = token();
      fake.advanceClock((profile.lifetimeSeconds - 1) * 1000);
      expect((await verifier.verify(t)).success).toBe(true);
    });

    it(`fails a token older than ${profile.lifetimeSeconds} s as ${profile.expired.reason}`, async () => {
      const t = token();
      fake.advanceClock((profile.lifetimeSeconds + 1) * 1000);
      expect(await verifier.verify(t)).toMatchObject({ success: false, ...profile.expired });
    });

    it('refuses a token solved on a host outside expectedHostnames', async () => {
      expect(await verifier.verify(token('evil.example.net'))).toMatchObject({
        success: false,
        reason: 'hostname_mismatch',
        hostname: 'evil.example.net',
      });
    });

    it('accepts a host given per call through expectedHostname, compared case-insensitively', async () => {
      const v = await verifier.verify(token('partner.example.org'), {
        expectedHostname: 'Partner.Example.org',
      });
      expect(v.success).toBe(true);
    });
  });

  describe('error codes', () => {
    it.each(profile.verdictCodes)('maps %s to %s (HTTP %i)', async (code, reason, status) => {
      fake.fault(provider, { ...profile.refusal(code, status), times: 1 });
      expect(await verifier.verify(token())).toMatchObject({
        success: false,
        provider,
        reason,
        errorCodes: [code],
        httpStatus: status,
      });
    });

    // A provider whose refusals never name our own mistake (CaptchaLa) has no such codes.
    if (profile.misconfiguredCodes.length > 0) {
      it.each(profile.misconfiguredCodes)(
        'throws CaptchaUnavailableError(misconfigured) for %s (HTTP %i), naming neither secret nor token',
        async (code, status) => {
          fake.fault(provider, { ...profile.refusal(code, status), times: 1 });
          const t = token();
          const error = await unavailable(verifier.verify(t));
          expect(error).toMatchObject({
            provider,
            kind: 'misconfigured',
            reason: 'misconfigured',
            details: profile.misconfiguredDetails?.(code, status) ?? { errorCodes: [code] },
          });
          expect(error.message).toContain(code);
          expect(error.message).not.toContain(SECRET);
          expect(error.message).not.toContain(t);
          // The provider never judged it.
          await stillRedeemable(t);
        },
      );
    }
  });

  describe('keys', () => {
    it('throws CaptchaUnavailableError(misconfigured) on a wrong secret, naming neither secret nor token; the token stays redeemable', async () => {
      const { secretKey, details, messageContains } = profile.wrongSecret;
      const bad = await build({ secretKey });
      const t = token();
      const error = await unavailable(bad.verify(t));
      expect(error).toMatchObject({
        name: 'CaptchaUnavailableError',
        provider,
        kind: 'misconfigured',
        reason: 'misconfigured',
        details,
      });
      expect(error.message).toContain(messageContains);
      expect(error.message).not.toContain(secretKey);
      expect(error.message).not.toContain(t);
      expect(JSON.stringify(error.details)).not.toContain(secretKey);
      expect(JSON.stringify(error.details)).not.toContain(t);
      // The provider never judged it.
      await stillRedeemable(t);
    });

    it('throws misconfigured when the secret resolves to nothing', async () => {
      const empty = await build({ secretKey: () => '' });
      expect(await unavailable(empty.verify(token()))).toMatchObject({
        provider,
        kind: 'misconfigured',
        details: profile.emptySecretDetails,
      });
    });

    it('resolves a rotating secret on each call, and the token refused for a wrong one stays redeemable', async () => {
      let secret = profile.wrongSecret.secretKey;
      const rotating = await build({ secretKey: () => secret });
      const t = token();
      expect((await unavailable(rotating.verify(t))).kind).toBe('misconfigured');
      secret = SECRET;
      await stillRedeemable(t, rotating);
    });
  });

  describe('outages', () => {
    it('times out into CaptchaUnavailableError(timeout) without retrying, leaving the token usable', async () => {
      fake.fault(provider, { hang: true, times: 1 });
      const t = token();
      const before = fake.requests.length;
      const error = await unavailable(verifier.verify(t));
      expect(error).toMatchObject({ provider, kind: 'timeout', reason: 'provider_unavailable' });
      expect(fake.requests.length).toBe(before + 1);
      await stillRedeemable(t);
    });

    it.each([502, 503])('retries a %i once and gets the verdict', async (status) => {
      fake.fault(provider, { status, times: 1 });
      const before = fake.requests.length;
      expect((await verifier.verify(token())).success).toBe(true);
      expect(fake.requests.length).toBe(before + 2);
    });

    it('throws http_5xx after a 500 twice, and the token survives the outage', async () => {
      fake.fault(provider, { status: 500, times: 2 });
      const t = token();
      const before = fake.requests.length;
      const error = await unavailable(verifier.verify(t));
      expect(error).toMatchObject({ provider, kind: 'http_5xx', details: { status: 500 } });
      expect(fake.requests.length).toBe(before + 2);
      await stillRedeemable(t);
    });

    it('treats an HTML page as a bad_response outage, never a pass; the token survives', async () => {
      fake.fault(provider, {
        status: 200,
        body: '<html>oops</html>',
        contentType: 'text/html',
        times: 1,
      });
      const t = token();
      const error = await unavailable(verifier.verify(t));
      expect(error).toMatchObject({ provider, kind: 'bad_response' });
      await stillRedeemable(t);
    });

    it('treats a dropped connection as a network outage after one retry', async () => {
      fake.fault(provider, { closeConnection: true });
      const before = fake.requests.length;
      expect((await unavailable(verifier.verify(token()))).kind).toBe('network');
      expect(fake.requests.length).toBe(before + 2);
    });
  });

  describe('tokens never sent', () => {
    const longest = (length: number) =>
      profile.tokenPrefix + 'a'.repeat(length - profile.tokenPrefix.length);

    it(`sends a token of exactly ${profile.maxTokenLength} characters`, async () => {
      const before = fake.requests.length;
      const v: CaptchaVerification = await verifier.verify(longest(profile.maxTokenLength));
      expect(v).toMatchObject({ success: false, reason: profile.forged.reason });
      expect(fake.requests.length).toBe(before + 1);
    });

    it.each<[string, unknown, CaptchaReason]>([
      [`a ${profile.maxTokenLength + 1}-character token`, 'LONGEST+1', 'malformed'],
      ...neverSent(profile.tokenPrefix),
    ])('refuses %s without calling the provider', async (_what, input, reason) => {
      const t = input === 'LONGEST+1' ? longest(profile.maxTokenLength + 1) : input;
      const before = fake.requests.length;
      expect(await verifier.verify(t)).toEqual({
        success: false,
        provider,
        reason,
        errorCodes: [],
        latencyMs: expect.any(Number),
      });
      expect(fake.requests.length).toBe(before);
    });
  });
}
