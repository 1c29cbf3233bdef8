import {
  FALLBACK_ACCEPTED,
  METHOD_ACCEPTED,
  PROJECT_ID_ACCEPTED,
  PROVIDERS,
  SECRET,
  TURNSTILE,
  TURNSTILE_ENV,
  refusedOptions,
  refusedVariables,
} from './config-helpers';

// The rules of one family (failure mode and fallback), as one table checks them: written in code
// (options.*) and read from the environment (CAPTCHA_*).

describe('failure mode and fallback', () => {
  refusedOptions([
    [
      'the fallback failure mode without a fallback',
      { failureMode: 'fallback' },
      `options.fallback (CAPTCHA_FALLBACK_PROVIDER or CAPTCHA_FALLBACK_METHOD): not set, but options.failureMode "fallback" requires it; accepted: ${FALLBACK_ACCEPTED}`,
    ],
    [
      'an unknown failure mode',
      { failureMode: 'lenient' },
      'options.failureMode: "lenient" is not a failure mode; accepted: closed, open, fallback',
    ],
    [
      'a fallback that is a string',
      { failureMode: 'fallback', fallback: 'email_otp' },
      `options.fallback: "email_otp" is not an object; accepted: ${FALLBACK_ACCEPTED}`,
    ],
    [
      'a fallback with both provider and method',
      { failureMode: 'fallback', fallback: { provider: 'hcaptcha', method: 'email_otp' } },
      'options.fallback.method: "email_otp" is set together with options.fallback.provider; accepted: one of options.fallback.provider (a second provider) or options.fallback.method (a method of your app), not both',
    ],
    [
      'a fallback with neither provider nor method',
      { failureMode: 'fallback', fallback: { siteKey: 'k' } },
      `options.fallback: an object sets neither provider nor method; accepted: ${FALLBACK_ACCEPTED}`,
    ],
    [
      'a fallback provider it does not know',
      { ...TURNSTILE, fallback: { provider: 'captcha-king' } },
      'options.fallback.provider: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
    ],
    [
      'a fallback provider the same as the provider',
      {
        ...TURNSTILE,
        failureMode: 'fallback',
        fallback: { provider: 'turnstile', siteKey: 'k', secretKey: SECRET },
      },
      'options.fallback.provider: "turnstile" is the same as the provider (options.provider); accepted: a provider other than options.provider: recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
    ],
    [
      'a fallback provider the same as the default provider',
      { failureMode: 'fallback', fallback: { provider: 'altcha' } },
      'options.fallback.provider: "altcha" is the same as the provider (options.provider, default altcha); accepted: a provider other than options.provider: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, captchala',
    ],
    [
      'a keyed fallback provider without its secret key',
      { failureMode: 'fallback', fallback: { provider: 'recaptcha', siteKey: 'k' } },
      'options.fallback.secretKey: not set, but fallback provider "recaptcha" requires it (no environment variable sets it); accepted: the secret key issued by recaptcha, as a string or a function returning it',
    ],
    [
      'a keyed fallback provider without its site key, with failureMode open',
      { failureMode: 'open', fallback: { provider: 'turnstile', secretKey: () => SECRET } },
      'options.fallback.siteKey: not set, but fallback provider "turnstile" requires it (no environment variable sets it); accepted: the site key issued by turnstile',
    ],
    [
      'a fallback site key with a space',
      { fallback: { provider: 'hcaptcha', siteKey: 'hc site', secretKey: SECRET } },
      'options.fallback.siteKey: "hc site" contains whitespace or control characters; accepted: the site key exactly as the provider issued it, without spaces or line breaks',
    ],
    [
      'a fallback secret key that is a number',
      { fallback: { provider: 'hcaptcha', siteKey: 'k', secretKey: 42 } },
      'options.fallback.secretKey: the value (hidden) is not a string or a function; accepted: the secret key exactly as the provider issued it, without spaces or line breaks, or a function returning it',
    ],
    [
      'a fallback verify URL with another scheme',
      {
        fallback: {
          provider: 'hcaptcha',
          siteKey: 'k',
          secretKey: SECRET,
          verifyUrl: 'ftp://proxy/verify',
        },
      },
      'options.fallback.verifyUrl: "ftp://proxy/verify" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
    ],
    [
      'a fallback method with capitals',
      { failureMode: 'fallback', fallback: { method: 'EmailOtp' } },
      `options.fallback.method: "EmailOtp" is not a method name; accepted: ${METHOD_ACCEPTED}`,
    ],
    [
      'a fallback method starting with a digit',
      { fallback: { method: '2fa' } },
      `options.fallback.method: "2fa" is not a method name; accepted: ${METHOD_ACCEPTED}`,
    ],
    [
      'a fallback method too long',
      { fallback: { method: `m${'x'.repeat(64)}` } },
      `options.fallback.method: "m${'x'.repeat(64)}" is not a method name; accepted: ${METHOD_ACCEPTED}`,
    ],
    [
      'a fallback method that is not a string',
      { fallback: { method: 7 } },
      `options.fallback.method: 7 is not a string; accepted: ${METHOD_ACCEPTED}`,
    ],
    [
      'a fallback method with a site key',
      { fallback: { method: 'email_otp', siteKey: 'k' } },
      'options.fallback.siteKey: "k" is set with fallback.method; accepted: siteKey, secretKey, verifyUrl only with fallback.provider',
    ],
  ]);

  refusedVariables([
    [
      'CAPTCHA_FALLBACK_PROVIDER recaptcha-enterprise without CAPTCHA_PROJECT_ID',
      { ...TURNSTILE_ENV, CAPTCHA_FALLBACK_PROVIDER: 'recaptcha-enterprise' },
      `CAPTCHA_PROJECT_ID: not set, but fallback provider "recaptcha-enterprise" (CAPTCHA_FALLBACK_PROVIDER) requires it; accepted: ${PROJECT_ID_ACCEPTED}`,
    ],
    [
      'CAPTCHA_FAILURE_MODE unknown',
      { CAPTCHA_FAILURE_MODE: 'ignore' },
      'CAPTCHA_FAILURE_MODE: "ignore" is not a failure mode; accepted: closed, open, fallback',
    ],
    [
      'CAPTCHA_FAILURE_MODE in another case',
      { CAPTCHA_FAILURE_MODE: 'Fallback', CAPTCHA_FALLBACK_METHOD: 'email_otp' },
      'CAPTCHA_FAILURE_MODE: "Fallback" is not a failure mode (did you mean "fallback"?); accepted: closed, open, fallback',
    ],
    [
      'CAPTCHA_FAILURE_MODE fallback without a fallback',
      { CAPTCHA_FAILURE_MODE: 'fallback' },
      'CAPTCHA_FALLBACK_PROVIDER or CAPTCHA_FALLBACK_METHOD: not set, but CAPTCHA_FAILURE_MODE "fallback" requires it; accepted: CAPTCHA_FALLBACK_PROVIDER set to a provider other than CAPTCHA_PROVIDER (turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala; one that needs keys also needs options.fallback.siteKey and secretKey), or CAPTCHA_FALLBACK_METHOD set to a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
    ],
    [
      'CAPTCHA_FAILURE_MODE fallback with blank fallback variables',
      {
        CAPTCHA_FAILURE_MODE: 'fallback',
        CAPTCHA_FALLBACK_PROVIDER: '',
      },
      `CAPTCHA_FALLBACK_PROVIDER: is set but blank, which is not the same as unset: give it a value or remove it; accepted: ${PROVIDERS}`,
    ],
    [
      'CAPTCHA_FALLBACK_METHOD blank',
      { CAPTCHA_FALLBACK_METHOD: ' ' },
      'CAPTCHA_FALLBACK_METHOD: is set but blank, which is not the same as unset: give it a value or remove it; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
    ],
    [
      'CAPTCHA_FALLBACK_PROVIDER unknown',
      { CAPTCHA_FALLBACK_PROVIDER: 'captcha-king' },
      'CAPTCHA_FALLBACK_PROVIDER: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
    ],
    [
      'CAPTCHA_FALLBACK_PROVIDER the same as CAPTCHA_PROVIDER',
      { ...TURNSTILE_ENV, CAPTCHA_FALLBACK_PROVIDER: 'turnstile' },
      'CAPTCHA_FALLBACK_PROVIDER: "turnstile" is the same as the provider (CAPTCHA_PROVIDER); accepted: a provider other than CAPTCHA_PROVIDER: recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
    ],
    [
      'CAPTCHA_FALLBACK_PROVIDER the same as the default provider',
      { CAPTCHA_FAILURE_MODE: 'fallback', CAPTCHA_FALLBACK_PROVIDER: 'altcha' },
      'CAPTCHA_FALLBACK_PROVIDER: "altcha" is the same as the provider (CAPTCHA_PROVIDER, default altcha); accepted: a provider other than CAPTCHA_PROVIDER: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, captchala',
    ],
    [
      'CAPTCHA_FALLBACK_METHOD with capitals and a dash',
      { CAPTCHA_FALLBACK_METHOD: 'Email-OTP' },
      'CAPTCHA_FALLBACK_METHOD: "Email-OTP" is not a method name; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
    ],
    [
      'CAPTCHA_FALLBACK_METHOD starting with a digit',
      { CAPTCHA_FAILURE_MODE: 'fallback', CAPTCHA_FALLBACK_METHOD: '2fa' },
      'CAPTCHA_FALLBACK_METHOD: "2fa" is not a method name; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
    ],
    [
      'CAPTCHA_FALLBACK_METHOD starting with an underscore',
      { CAPTCHA_FALLBACK_METHOD: '_otp' },
      'CAPTCHA_FALLBACK_METHOD: "_otp" is not a method name; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp',
    ],
    [
      'CAPTCHA_FALLBACK_METHOD too long',
      { CAPTCHA_FALLBACK_METHOD: `m${'x'.repeat(64)}` },
      `CAPTCHA_FALLBACK_METHOD: "m${'x'.repeat(64)}" is not a method name; accepted: a method name: a lower-case letter, then up to 63 lower-case letters, digits and underscores, e.g. email_otp`,
    ],
    [
      'both fallback variables',
      {
        CAPTCHA_FAILURE_MODE: 'fallback',
        CAPTCHA_FALLBACK_PROVIDER: 'hcaptcha',
        CAPTCHA_FALLBACK_METHOD: 'email_otp',
      },
      'CAPTCHA_FALLBACK_METHOD: "email_otp" is set together with CAPTCHA_FALLBACK_PROVIDER; accepted: one of CAPTCHA_FALLBACK_PROVIDER (a second provider) or CAPTCHA_FALLBACK_METHOD (a method of your app), not both',
    ],
  ]);
});
