import type { TestingModule } from '@nestjs/testing';
import type { CaptchaModuleOptions, CaptchaProviderName } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { createVerifier } from '../support/create-verifier';

/**
 * `maxTokenAgeSeconds` defaults to the provider's documented token lifetime (plus 30 s for clock
 * skew). The provider enforces its own lifetime by its own clock; ours catches a reply whose
 * `challenge_ts` says the token is older than that by our clock (a provider clock off, a lenient
 * endpoint). Simulated with the fake's clock set back: the fake judges the token fresh, and
 * stamps `challenge_ts` in its past.
 */
describe('maxTokenAgeSeconds: the provider lifetime by default', () => {
  let fake: FakeCaptchaServer;
  const modules: TestingModule[] = [];

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
  });
  afterEach(async () => {
    fake.reset();
    await Promise.all(modules.splice(0).map((m) => m.close()));
  });
  afterAll(async () => {
    await fake.close();
  });

  const verifierFor = async (
    provider: CaptchaProviderName,
    overrides: Partial<CaptchaModuleOptions> = {},
  ) => {
    const built = await createVerifier({
      provider,
      siteKey: FakeCaptchaServer.siteKeys[provider as keyof typeof FakeCaptchaServer.siteKeys],
      secretKey: FakeCaptchaServer.secrets[provider as keyof typeof FakeCaptchaServer.secrets],
      verifyUrl: fake.verifyUrl(provider as Parameters<FakeCaptchaServer['verifyUrl']>[0]),
      ...overrides,
    });
    modules.push(built.moduleRef);
    return built.verifier;
  };

  /** Verifies a token whose `challenge_ts` lies `skewSeconds` in our past (the fake finds it fresh). */
  const verifySkewed = async (
    provider: 'turnstile' | 'recaptcha' | 'hcaptcha' | 'friendly-captcha',
    skewSeconds: number,
    overrides: Partial<CaptchaModuleOptions> = {},
  ) => {
    const verifier = await verifierFor(provider, overrides);
    fake.advanceClock(-skewSeconds * 1000);
    const token = fake.issueToken({ provider, hostname: 'localhost' });
    const verification = await verifier.verify(token);
    fake.advanceClock(skewSeconds * 1000);
    return verification;
  };

  it.each([
    ['turnstile', 300],
    ['recaptcha', 120],
    ['hcaptcha', 120],
  ] as const)('%s: older than %i s + 30 s is expired; within it passes', async (provider, life) => {
    expect(await verifySkewed(provider, life + 40)).toMatchObject({
      success: false,
      reason: 'expired',
    });
    expect(await verifySkewed(provider, life + 20)).toMatchObject({ success: true });
  });

  it('applies an explicit maxTokenAgeSeconds exactly, over the default', async () => {
    expect(await verifySkewed('turnstile', 70, { maxTokenAgeSeconds: 60 })).toMatchObject({
      success: false,
      reason: 'expired',
    });
    expect(await verifySkewed('recaptcha', 200, { maxTokenAgeSeconds: 600 })).toMatchObject({
      success: true,
    });
  });

  it('sets no limit of its own for a provider that documents no lifetime (Friendly Captcha)', async () => {
    expect(await verifySkewed('friendly-captcha', 3600)).toMatchObject({ success: true });
  });
});
