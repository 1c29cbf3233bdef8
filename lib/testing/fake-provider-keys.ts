import type { FakeProviderName } from './fake-provider';

/**
 * The "production" secret the fake accepts per provider; any other non-test secret is invalid.
 * Published as `FakeCaptchaServer.secrets`.
 *
 * @internal
 */
export const FAKE_SECRETS: Readonly<Record<FakeProviderName, string>> = Object.freeze({
  turnstile: '0x4AAAAAAAfakeSecretTurnstile000000',
  recaptcha: '6LfakeSecretRecaptcha0000000000000000000',
  hcaptcha: '0xfakeSecretHcaptcha00000000000000000000',
  /** reCAPTCHA Enterprise: the API key (`?key=`). */
  'recaptcha-enterprise': 'AIzaFakeRecaptchaEnterpriseApiKey000000',
  /** Friendly Captcha: the API key (`X-API-Key` in v2, `secret` in v1). */
  'friendly-captcha': 'A1FAKEFRIENDLYCAPTCHAAPIKEY00000',
  /** CaptchaLa: the app secret (`X-App-Secret`). */
  captchala: 'fake-captchala-app-secret-000000',
});

/**
 * The "production" site keys matching {@link FAKE_SECRETS}. Published as
 * `FakeCaptchaServer.siteKeys`.
 *
 * @internal
 */
export const FAKE_SITE_KEYS: Readonly<Record<FakeProviderName, string>> = Object.freeze({
  turnstile: '0x4AAAAAAAfakeSiteKey0000',
  recaptcha: '6LfakeSiteKeyRecaptcha000000000000000000',
  hcaptcha: 'fa4e0000-5173-4e00-8000-00000000fa4e',
  'recaptcha-enterprise': '6LfakeSiteKeyRecaptchaEnterprise00000000',
  'friendly-captcha': 'FCMFAKESITEKEY0000',
  /** CaptchaLa: the app key (`X-App-Key`). */
  captchala: 'fake-captchala-app-key',
});

/**
 * The Google Cloud project the reCAPTCHA Enterprise API key may assess in.
 *
 * @internal
 */
export const FAKE_PROJECT_ID = 'fake-captcha-project';

/**
 * A second reCAPTCHA key pair, of the v2 checkbox type: its tokens carry no score and no action
 * (Google answers neither for v2 keys), and verify only with this secret, as a v3 key pair's
 * tokens verify only with the v3 secret ({@link FAKE_SECRETS}). For the `recaptcha-v2` step-up.
 * Published as `FakeCaptchaServer.recaptchaV2Keys`.
 *
 * @internal
 */
export const FAKE_RECAPTCHA_V2_KEYS = Object.freeze({
  siteKey: '6LfakeSiteKeyRecaptchaV2Checkbox00000000',
  secret: '6LfakeSecretRecaptchaV2Checkbox000000000',
} as const);
