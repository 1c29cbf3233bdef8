import {
  PROJECT_ID_ACCEPTED,
  SECRET,
  TURNSTILE,
  TURNSTILE_ENV,
  refusedOptions,
  refusedVariables,
} from './config-helpers';

// The rules of one family (provider, keys, project id, environment and test keys), as one table checks them: written in code
// (options.*) and read from the environment (CAPTCHA_*).

describe('provider, keys, project id, environment and test keys', () => {
  refusedOptions([
    [
      'an unknown provider',
      { provider: 'captcha-king' },
      'options.provider: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
    ],
    [
      'recaptcha-enterprise without a project id',
      { provider: 'recaptcha-enterprise', siteKey: 'k', secretKey: SECRET },
      `options.projectId (CAPTCHA_PROJECT_ID): not set, but provider "recaptcha-enterprise" requires it; accepted: ${PROJECT_ID_ACCEPTED}`,
    ],
    [
      'a project id with a slash',
      { ...TURNSTILE, projectId: 'p/q' },
      `options.projectId: "p/q" is not a project id; accepted: ${PROJECT_ID_ACCEPTED}`,
    ],
    [
      'a Friendly Captcha version it does not know',
      { ...TURNSTILE, friendlyCaptchaVersion: 3 },
      'options.friendlyCaptchaVersion: 3 is not a Friendly Captcha API version; accepted: 1 or 2',
    ],
    [
      'captchala settings that are not an object',
      { ...TURNSTILE, captchala: 'yes' },
      'options.captchala: "yes" is not an object; accepted: an object of CaptchaLa settings, e.g. { acceptDegraded: false }',
    ],
    [
      'a captchala flag that is not a boolean',
      { ...TURNSTILE, captchala: { acceptDegraded: 'yes' } },
      'options.captchala.acceptDegraded: "yes" is not a boolean; accepted: true or false',
    ],
    [
      'a captchala backup URL that is not http(s)',
      { ...TURNSTILE, captchala: { backupUrl: 'ftp://backup.example.com' } },
      'options.captchala.backupUrl: "ftp://backup.example.com" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
    ],
    [
      'a captchala issue encoding it does not know',
      { ...TURNSTILE, captchala: { issueEncoding: 'xml' } },
      "options.captchala.issueEncoding: \"xml\" is not an encoding; accepted: 'json' or 'form'",
    ],
    [
      'a captchala challenge path without a slash',
      { ...TURNSTILE, captchala: { challengePath: 'captchala/issue' } },
      "options.captchala.challengePath: \"captchala/issue\" does not start with '/'; accepted: a path starting with '/', e.g. /captcha/challenge, or false to serve none",
    ],
    [
      'a captchala token lifetime out of range',
      { ...TURNSTILE, captchala: { tokenLifetimeSeconds: 1 } },
      'options.captchala.tokenLifetimeSeconds: 1 is out of range; accepted: an integer from 10 to 86400 (seconds)',
    ],
    [
      'a captchala error code with an unknown meaning',
      { ...TURNSTILE, captchala: { errorCodes: { app_disabled: 'broken' } } },
      'options.captchala.errorCodes["app_disabled"]: "broken" is not a meaning; accepted: an object of CaptchaLa failure codes to one of malformed, invalid, expired, duplicate, misconfigured, unavailable, e.g. { app_disabled: \'misconfigured\' }',
    ],
    [
      'a missing secret key',
      { provider: 'turnstile', siteKey: 'k' },
      'options.secretKey (CAPTCHA_SECRET_KEY): not set, but provider "turnstile" requires it; accepted: the secret key issued by turnstile, as a string or a function returning it',
    ],
    [
      'a missing site key',
      { provider: 'hcaptcha', secretKey: SECRET },
      'options.siteKey (CAPTCHA_SITE_KEY): not set, but provider "hcaptcha" requires it; accepted: the site key issued by hcaptcha',
    ],
    [
      'an empty site key',
      { ...TURNSTILE, siteKey: '' },
      'options.siteKey: "" is empty; accepted: the site key exactly as the provider issued it, without spaces or line breaks',
    ],
    [
      'a secret key that is a number',
      { ...TURNSTILE, secretKey: 12345 },
      'options.secretKey: the value (hidden) is not a string or a function; accepted: the secret key exactly as the provider issued it, without spaces or line breaks, or a function returning it',
    ],
    [
      'a bad verify URL',
      { verifyUrl: 'localhost:8080/verify' },
      'options.verifyUrl: "localhost:8080/verify" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
    ],
    [
      'a fallback recaptcha-enterprise without a project id',
      {
        ...TURNSTILE,
        fallback: { provider: 'recaptcha-enterprise', siteKey: 'k', secretKey: SECRET },
      },
      `options.projectId (CAPTCHA_PROJECT_ID): not set, but fallback provider "recaptcha-enterprise" (options.fallback.provider) requires it; accepted: ${PROJECT_ID_ACCEPTED}`,
    ],
    [
      'a bad environment name',
      { environment: 'prod eu' },
      "options.environment: \"prod eu\" is not an environment name; accepted: a name of letters, digits, '.', '_' and '-' (up to 64 characters), e.g. production",
    ],
  ]);

  refusedVariables([
    [
      'CAPTCHA_PROVIDER unknown',
      { CAPTCHA_PROVIDER: 'captcha-king' },
      'CAPTCHA_PROVIDER: "captcha-king" is not a known provider; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
    ],
    [
      'CAPTCHA_PROVIDER in another case',
      { CAPTCHA_PROVIDER: 'Turnstile' },
      'CAPTCHA_PROVIDER: "Turnstile" is not a known provider (did you mean "turnstile"?); accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala',
    ],
    [
      'CAPTCHA_PROVIDER recaptcha-enterprise without CAPTCHA_PROJECT_ID',
      { ...TURNSTILE_ENV, CAPTCHA_PROVIDER: 'recaptcha-enterprise' },
      `CAPTCHA_PROJECT_ID: not set, but provider "recaptcha-enterprise" requires it; accepted: ${PROJECT_ID_ACCEPTED}`,
    ],
    [
      'CAPTCHA_PROJECT_ID with a slash',
      { CAPTCHA_PROJECT_ID: 'my-project/assessments' },
      `CAPTCHA_PROJECT_ID: "my-project/assessments" is not a project id; accepted: ${PROJECT_ID_ACCEPTED}`,
    ],
    [
      'CAPTCHA_PROVIDER friendly-captcha without keys',
      { CAPTCHA_PROVIDER: 'friendly-captcha', CAPTCHA_SITE_KEY: 'FCMSITE' },
      'CAPTCHA_SECRET_KEY: not set, but provider "friendly-captcha" requires it; accepted: the secret key issued by friendly-captcha',
    ],
    [
      'CAPTCHA_PROVIDER captchala without keys',
      { CAPTCHA_PROVIDER: 'captchala', CAPTCHA_SECRET_KEY: SECRET },
      'CAPTCHA_SITE_KEY: not set, but provider "captchala" requires it; accepted: the site key issued by captchala',
    ],
    [
      'CAPTCHA_SITE_KEY with a space',
      { ...TURNSTILE_ENV, CAPTCHA_SITE_KEY: '0x4AAA AAA' },
      'CAPTCHA_SITE_KEY: "0x4AAA AAA" contains whitespace or control characters; accepted: the site key exactly as the provider issued it, without spaces or line breaks',
    ],
    [
      'CAPTCHA_SITE_KEY missing for turnstile',
      { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET_KEY: SECRET },
      'CAPTCHA_SITE_KEY: not set, but provider "turnstile" requires it; accepted: the site key issued by turnstile',
    ],
    [
      'CAPTCHA_SECRET_KEY with a line break',
      { ...TURNSTILE_ENV, CAPTCHA_SECRET_KEY: `${SECRET}\nmore` },
      'CAPTCHA_SECRET_KEY: the value (hidden) contains whitespace or control characters; accepted: the secret key exactly as the provider issued it, without spaces or line breaks',
    ],
    [
      'CAPTCHA_SECRET_KEY missing for recaptcha',
      { CAPTCHA_PROVIDER: 'recaptcha', CAPTCHA_SITE_KEY: '6Lc-site' },
      'CAPTCHA_SECRET_KEY: not set, but provider "recaptcha" requires it; accepted: the secret key issued by recaptcha',
    ],
    [
      'CAPTCHA_VERIFY_URL not a URL',
      { CAPTCHA_VERIFY_URL: 'siteverify' },
      'CAPTCHA_VERIFY_URL: "siteverify" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
    ],
    [
      'CAPTCHA_VERIFY_URL with another scheme',
      { CAPTCHA_VERIFY_URL: 'ftp://127.0.0.1/siteverify' },
      'CAPTCHA_VERIFY_URL: "ftp://127.0.0.1/siteverify" is not an absolute http(s) URL; accepted: an absolute http:// or https:// URL, e.g. https://captcha-proxy.example.com/siteverify',
    ],
    [
      'CAPTCHA_ENV with a space',
      { CAPTCHA_ENV: 'prod eu' },
      "CAPTCHA_ENV: \"prod eu\" is not an environment name; accepted: a name of letters, digits, '.', '_' and '-' (up to 64 characters), e.g. production",
    ],
  ]);
});
