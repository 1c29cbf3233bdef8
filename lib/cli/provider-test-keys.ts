import type { CaptchaProviderName } from '../contracts/captcha-provider-name';

/**
 * A provider's public test keys, as Cloudflare, Google and hCaptcha publish them: they must never
 * reach production.
 */
interface ProviderTestKeys {
  /** Whose keys they are, as messages name them (e.g. `Cloudflare Turnstile`). */
  owner: string;
  /** Test site keys, with what each does. */
  siteKeys: Readonly<Record<string, string>>;
  /** Test secrets, with what each does. */
  secrets: Readonly<Record<string, string>>;
  /**
   * The token to probe a test secret with, given the configured site key: test secrets answer
   * only their own test tokens (Turnstile rejects any other token as `invalid-input-secret`).
   * `undefined`: any made-up token will do.
   */
  probeToken?(siteKey: string | undefined): string;
}

const HCAPTCHA_TEST_TOKENS: Readonly<Record<string, string>> = {
  '10000000-ffff-ffff-ffff-000000000001': '10000000-aaaa-bbbb-cccc-000000000001',
  '20000000-ffff-ffff-ffff-000000000002': '20000000-aaaa-bbbb-cccc-000000000002',
  '30000000-ffff-ffff-ffff-000000000003': '30000000-aaaa-bbbb-cccc-000000000003',
};

const RECAPTCHA_TEST_KEYS: ProviderTestKeys = {
  owner: 'Google reCAPTCHA',
  siteKeys: { '6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI': 'every verification passes' },
  secrets: { '6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe': 'every verification passes' },
};

/**
 * Official test keys per provider; providers without any are absent.
 *
 * @internal
 */
export const PROVIDER_TEST_KEYS: Partial<Record<CaptchaProviderName, ProviderTestKeys>> = {
  // Cloudflare, "Turnstile > Troubleshooting > Testing".
  turnstile: {
    owner: 'Cloudflare Turnstile',
    siteKeys: {
      '1x00000000000000000000AA': 'always passes',
      '2x00000000000000000000AB': 'always blocks',
      '1x00000000000000000000BB': 'always passes, invisible',
      '2x00000000000000000000BB': 'always blocks, invisible',
      '3x00000000000000000000FF': 'forces an interactive challenge',
    },
    secrets: {
      '1x0000000000000000000000000000000AA': 'always passes',
      '2x0000000000000000000000000000000AA': 'always fails',
      '3x0000000000000000000000000000000AA': 'always answers "token already spent"',
    },
    probeToken: () => 'XXXX.DUMMY.TOKEN.XXXX',
  },
  // Google reCAPTCHA FAQ (v2 only; reCAPTCHA Enterprise has no public test key).
  recaptcha: RECAPTCHA_TEST_KEYS,
  // hCaptcha docs, "Integration Testing: Test Keys".
  hcaptcha: {
    owner: 'hCaptcha',
    siteKeys: {
      '10000000-ffff-ffff-ffff-000000000001': 'Publisher test key, always passes',
      '20000000-ffff-ffff-ffff-000000000002': 'Enterprise "safe end user" test key',
      '30000000-ffff-ffff-ffff-000000000003': 'Enterprise "bot detected" test key',
    },
    secrets: { '0x0000000000000000000000000000000000000000': 'the test secret' },
    probeToken: (siteKey) =>
      (siteKey !== undefined ? HCAPTCHA_TEST_TOKENS[siteKey] : undefined) ??
      HCAPTCHA_TEST_TOKENS['10000000-ffff-ffff-ffff-000000000001'],
  },
};

/**
 * What is known about the configured keys being public test keys.
 *
 * @internal
 */
export interface TestKeyFinding {
  /** What the test site key does, when the site key is one. */
  siteKey?: string;
  /** What the test secret does, when the secret is one. */
  secret?: string;
  /** The token to probe with (see {@link ProviderTestKeys.probeToken}), when the secret is a test one. */
  probeToken?: string;
}

/**
 * Looks the configured keys up among the provider's public test keys.
 *
 * @internal
 */
export function findTestKeys(
  provider: CaptchaProviderName,
  siteKey: string | undefined,
  secret: string | undefined,
): TestKeyFinding {
  const keys = PROVIDER_TEST_KEYS[provider];
  if (!keys) return {};
  const lookup = (table: Readonly<Record<string, string>>, key: string | undefined) =>
    key !== undefined && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
  const finding: TestKeyFinding = {};
  const siteKeyUse = lookup(keys.siteKeys, siteKey);
  const secretUse = lookup(keys.secrets, secret);
  if (siteKeyUse !== undefined) finding.siteKey = siteKeyUse;
  if (secretUse !== undefined) {
    finding.secret = secretUse;
    const token = keys.probeToken?.(siteKey);
    if (token !== undefined) finding.probeToken = token;
  }
  return finding;
}

/**
 * A key found among the public test keys of some provider.
 *
 * @internal
 */
export interface TestKeyMatch {
  /** The provider whose test key it is (not necessarily the one it is configured for). */
  provider: CaptchaProviderName;
  /** Who publishes it, e.g. `Cloudflare Turnstile`. */
  owner: string;
  kind: 'site key' | 'secret';
  /** What it does, e.g. `always passes`. */
  use: string;
}

/**
 * Looks `value` up among every provider's public test site keys or secrets: a test key of any
 * provider protects nothing, whichever provider it is configured for.
 *
 * @internal
 */
export function matchTestKey(
  kind: 'site key' | 'secret',
  value: unknown,
): TestKeyMatch | undefined {
  if (typeof value !== 'string') return undefined;
  for (const [provider, keys] of Object.entries(PROVIDER_TEST_KEYS) as [
    CaptchaProviderName,
    ProviderTestKeys,
  ][]) {
    const table = kind === 'site key' ? keys.siteKeys : keys.secrets;
    if (Object.prototype.hasOwnProperty.call(table, value)) {
      return { provider, owner: keys.owner, kind, use: table[value] };
    }
  }
  return undefined;
}

/**
 * `is Cloudflare Turnstile's public test secret ("always passes")`, never the key itself.
 *
 * @internal
 */
export function describeTestKey(match: TestKeyMatch): string {
  return `is ${match.owner}'s public test ${match.kind} ("${match.use}"), published for automated tests`;
}
