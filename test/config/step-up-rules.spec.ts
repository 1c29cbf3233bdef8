import {
  optionsError,
  SECRET,
  TURNSTILE,
  TURNSTILE_ENV,
  fromEnv,
  refusedOptions,
  refusedVariables,
} from './config-helpers';
import { resolveCaptchaOptions } from 'nestjs-captcha';

// The rules of `stepUp` (README: Step-up), written in code (options.*) and read from the
// environment (CAPTCHA_STEP_UP_*).

const INTERACTIVE =
  'an interactive provider: recaptcha, hcaptcha, turnstile, altcha, recaptcha-v2 (recaptcha and recaptcha-v2 with v2 checkbox keys; recaptcha-v2 beside a recaptcha v3 provider)';
const STEP_UP_ACCEPTED = `{ provider, siteKey?, secretKey?, verifyUrl? } with provider ${INTERACTIVE}; siteKey and secretKey unless it is altcha`;

describe('step-up provider', () => {
  refusedOptions([
    [
      'a step-up that is a string',
      { ...TURNSTILE, stepUp: 'hcaptcha' },
      `options.stepUp: "hcaptcha" is not an object; accepted: ${STEP_UP_ACCEPTED}`,
    ],
    [
      'a step-up without a provider',
      { ...TURNSTILE, stepUp: { siteKey: 'k' } },
      `options.stepUp.provider (CAPTCHA_STEP_UP_PROVIDER): not set, but options.stepUp.siteKey is set; accepted: ${INTERACTIVE}`,
    ],
    [
      'a score-based step-up provider',
      {
        ...TURNSTILE,
        stepUp: { provider: 'recaptcha-enterprise', siteKey: 'k', secretKey: SECRET },
      },
      `options.stepUp.provider: "recaptcha-enterprise" is not an interactive provider (a step-up must show the user a widget); accepted: ${INTERACTIVE}`,
    ],
    [
      'an unknown step-up provider',
      { ...TURNSTILE, stepUp: { provider: 'captcha-king' } },
      `options.stepUp.provider: "captcha-king" is not an interactive provider (a step-up must show the user a widget); accepted: ${INTERACTIVE}`,
    ],
    [
      'the primary provider as its own step-up',
      { ...TURNSTILE, stepUp: { provider: 'turnstile', siteKey: 'k', secretKey: SECRET } },
      'options.stepUp.provider: "turnstile" is the same as the provider (options.provider): a low score would step up to the same check; accepted: an interactive provider other than options.provider: recaptcha, hcaptcha, altcha',
    ],
    [
      'the default provider as its step-up',
      { stepUp: { provider: 'altcha' } },
      'options.stepUp.provider: "altcha" is the same as the provider (options.provider, default altcha): a low score would step up to the same check; accepted: an interactive provider other than options.provider: recaptcha, hcaptcha, turnstile',
    ],
    [
      'a keyed step-up provider without its secret',
      { ...TURNSTILE, stepUp: { provider: 'hcaptcha', siteKey: 'k' } },
      'options.stepUp.secretKey (CAPTCHA_STEP_UP_SECRET_KEY): not set, but step-up provider "hcaptcha" requires it; accepted: the secret key issued by hcaptcha',
    ],
    [
      'ALTCHA as the step-up with a secret key',
      { ...TURNSTILE, stepUp: { provider: 'altcha', secretKey: SECRET } },
      'options.stepUp.secretKey: the value (hidden) is set, but step-up provider "altcha" uses no site or secret key; accepted: no value with options.stepUp.provider=altcha',
    ],
    [
      'a step-up provider already registered in providers',
      {
        ...TURNSTILE,
        providers: [{ provider: 'hcaptcha', siteKey: 'k', secretKey: SECRET }],
        stepUp: { provider: 'hcaptcha', siteKey: 'k', secretKey: SECRET },
      },
      'options.stepUp.provider: "hcaptcha" is registered already as an entry of options.providers; accepted: an interactive provider other than options.provider: recaptcha, altcha; or name the registered one on the route, @RequireCaptcha({ stepUp: \'hcaptcha\' })',
    ],
    [
      'a step-up provider that is the fallback provider',
      {
        ...TURNSTILE,
        failureMode: 'fallback',
        fallback: { provider: 'altcha' },
        stepUp: { provider: 'altcha' },
      },
      'options.stepUp.provider: "altcha" is registered already as options.fallback.provider; accepted: an interactive provider other than options.provider: recaptcha, hcaptcha; or name the registered one on the route, @RequireCaptcha({ stepUp: \'altcha\' })',
    ],
  ]);

  refusedVariables([
    [
      'CAPTCHA_STEP_UP_PROVIDER score-based',
      { ...TURNSTILE_ENV, CAPTCHA_STEP_UP_PROVIDER: 'recaptcha-enterprise' },
      `CAPTCHA_STEP_UP_PROVIDER: "recaptcha-enterprise" is not an interactive provider (a step-up must show the user a widget); accepted: ${INTERACTIVE}`,
    ],
    [
      'CAPTCHA_STEP_UP_SITE_KEY without CAPTCHA_STEP_UP_PROVIDER',
      { ...TURNSTILE_ENV, CAPTCHA_STEP_UP_SITE_KEY: 'k' },
      `CAPTCHA_STEP_UP_PROVIDER: not set, but CAPTCHA_STEP_UP_SITE_KEY is set; accepted: ${INTERACTIVE}`,
    ],
    [
      'CAPTCHA_STEP_UP_PROVIDER the same as CAPTCHA_PROVIDER',
      {
        ...TURNSTILE_ENV,
        CAPTCHA_STEP_UP_PROVIDER: 'turnstile',
        CAPTCHA_STEP_UP_SITE_KEY: 'k',
        CAPTCHA_STEP_UP_SECRET_KEY: SECRET,
      },
      'CAPTCHA_STEP_UP_PROVIDER: "turnstile" is the same as the provider (CAPTCHA_PROVIDER): a low score would step up to the same check; accepted: an interactive provider other than CAPTCHA_PROVIDER: recaptcha, hcaptcha, altcha',
    ],
    [
      'CAPTCHA_STEP_UP_SECRET_KEY with ALTCHA',
      { ...TURNSTILE_ENV, CAPTCHA_STEP_UP_PROVIDER: 'altcha', CAPTCHA_STEP_UP_SECRET_KEY: SECRET },
      'CAPTCHA_STEP_UP_SECRET_KEY: the value (hidden) is set, but step-up provider "altcha" uses no site or secret key; accepted: no value with CAPTCHA_STEP_UP_PROVIDER=altcha',
    ],
  ]);

  it('reads the step-up provider and its keys from the environment', () => {
    const options = fromEnv({
      ...TURNSTILE_ENV,
      CAPTCHA_STEP_UP_PROVIDER: 'hcaptcha',
      CAPTCHA_STEP_UP_SITE_KEY: 'hsite',
      CAPTCHA_STEP_UP_SECRET_KEY: SECRET,
    });
    expect(options.stepUp).toEqual({ provider: 'hcaptcha', siteKey: 'hsite', secretKey: SECRET });
    expect(fromEnv({ ...TURNSTILE_ENV, CAPTCHA_STEP_UP_PROVIDER: 'altcha' }).stepUp).toEqual({
      provider: 'altcha',
    });
  });

  it('accepts a keyed step-up provider with its keys, and ALTCHA without any', () => {
    const keyed = { provider: 'hcaptcha' as const, siteKey: 'hsite', secretKey: SECRET };
    expect(resolveCaptchaOptions({ ...TURNSTILE, stepUp: keyed }).stepUp).toEqual(keyed);
    expect(resolveCaptchaOptions({ ...TURNSTILE, stepUp: { provider: 'altcha' } }).stepUp).toEqual({
      provider: 'altcha',
    });
  });

  it('refuses the public hCaptcha test keys as the step-up provider in production', () => {
    const error = optionsError(
      {
        ...TURNSTILE,
        stepUp: {
          provider: 'hcaptcha',
          siteKey: '10000000-ffff-ffff-ffff-000000000001',
          secretKey: '0x0000000000000000000000000000000000000000',
        },
      },
      { nodeEnv: 'production' },
    );
    expect(error.problems.some((line) => line.startsWith('options.stepUp.siteKey'))).toBe(true);
    expect(error.problems.some((line) => line.startsWith('options.stepUp.secretKey'))).toBe(true);
    expect(error.message).not.toContain('0x0000000000000000000000000000000000000000');
  });

  describe('recaptcha-v2: the v2 checkbox beside a reCAPTCHA v3 provider', () => {
    const V3 = { provider: 'recaptcha' as const, siteKey: 'v3site', secretKey: 'v3-secret-key' };
    const V3_ENV = {
      CAPTCHA_PROVIDER: 'recaptcha',
      CAPTCHA_SITE_KEY: 'v3site',
      CAPTCHA_SECRET_KEY: 'v3-secret-key',
    };

    refusedOptions([
      [
        'recaptcha (v3) stepping up to recaptcha: the hint names recaptcha-v2',
        { ...V3, stepUp: { provider: 'recaptcha', siteKey: 'v2site', secretKey: SECRET } },
        'options.stepUp.provider: "recaptcha" is the same as the provider (options.provider): a low score would step up to the same check; accepted: an interactive provider other than options.provider: hcaptcha, turnstile, altcha, recaptcha-v2 (recaptcha-v2: the v2 checkbox with its own keys)',
      ],
      [
        'recaptcha-v2 without its secret',
        { ...V3, stepUp: { provider: 'recaptcha-v2', siteKey: 'v2site' } },
        'options.stepUp.secretKey (CAPTCHA_STEP_UP_SECRET_KEY): not set, but step-up provider "recaptcha-v2" requires it; accepted: the secret key of a reCAPTCHA v2 checkbox key pair',
      ],
      [
        'recaptcha-v2 with the primary (v3) site key',
        { ...V3, stepUp: { provider: 'recaptcha-v2', siteKey: 'v3site', secretKey: SECRET } },
        'options.stepUp.siteKey: "v3site" is the same as options.siteKey: the recaptcha-v2 step-up needs its own v2 checkbox keys; accepted: the site key of a reCAPTCHA v2 checkbox key pair',
      ],
      [
        'recaptcha-v2 with the primary (v3) secret',
        {
          ...V3,
          stepUp: { provider: 'recaptcha-v2', siteKey: 'v2site', secretKey: 'v3-secret-key' },
        },
        'options.stepUp.secretKey: the value (hidden) is the same as options.secretKey: the recaptcha-v2 step-up needs its own v2 checkbox keys; accepted: the secret key of a reCAPTCHA v2 checkbox key pair',
      ],
    ]);

    refusedVariables([
      [
        'CAPTCHA_STEP_UP_PROVIDER=recaptcha-v2 without its site key',
        { ...V3_ENV, CAPTCHA_STEP_UP_PROVIDER: 'recaptcha-v2', CAPTCHA_STEP_UP_SECRET_KEY: SECRET },
        'CAPTCHA_STEP_UP_SITE_KEY: not set, but step-up provider "recaptcha-v2" requires it; accepted: the site key of a reCAPTCHA v2 checkbox key pair',
      ],
    ]);

    it('reads CAPTCHA_STEP_UP_PROVIDER=recaptcha-v2 and its keys from the environment', () => {
      const options = fromEnv({
        ...V3_ENV,
        CAPTCHA_STEP_UP_PROVIDER: 'recaptcha-v2',
        CAPTCHA_STEP_UP_SITE_KEY: 'v2site',
        CAPTCHA_STEP_UP_SECRET_KEY: SECRET,
      });
      expect(options.provider).toBe('recaptcha');
      expect(options.stepUp).toEqual({
        provider: 'recaptcha-v2',
        siteKey: 'v2site',
        secretKey: SECRET,
      });
    });

    it('refuses the Google reCAPTCHA test keys as the v2 step-up in production', () => {
      const error = optionsError(
        {
          ...V3,
          stepUp: {
            provider: 'recaptcha-v2',
            siteKey: '6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI',
            secretKey: '6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe',
          },
        },
        { nodeEnv: 'production' },
      );
      expect(error.problems.some((line) => line.startsWith('options.stepUp.siteKey'))).toBe(true);
      expect(error.problems.some((line) => line.startsWith('options.stepUp.secretKey'))).toBe(true);
      expect(error.message).not.toContain('6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe');
    });
  });
});
