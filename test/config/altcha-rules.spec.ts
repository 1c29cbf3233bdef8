import { HMAC_KEY, TURNSTILE_ENV, refusedOptions, refusedVariables } from './config-helpers';

// The rules of one family (ALTCHA settings and HMAC key), as one table checks them: written in code
// (options.*) and read from the environment (CAPTCHA_*).

describe('ALTCHA settings and HMAC key', () => {
  refusedOptions([
    [
      'altcha that is not an object',
      { altcha: 'on' },
      'options.altcha: "on" is not an object; accepted: an object of ALTCHA settings, e.g. { hmacKey }',
    ],
    [
      'a short HMAC key',
      { altcha: { hmacKey: 'SUPERSECRET' } },
      'options.altcha.hmacKey: the value (hidden) is too short; accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`, or a function returning it',
    ],
    [
      'an unknown ALTCHA algorithm',
      { altcha: { hmacKey: HMAC_KEY, algorithm: 'MD5' } },
      'options.altcha.algorithm: "MD5" is not a supported algorithm; accepted: SHA-256, SHA-384, SHA-512, PBKDF2/SHA-256, PBKDF2/SHA-384, PBKDF2/SHA-512',
    ],
    [
      'a zero cost',
      { altcha: { hmacKey: HMAC_KEY, cost: 0 } },
      'options.altcha.cost: 0 is out of range; accepted: an integer from 1 to 4294967295 (iterations)',
    ],
    [
      'a fractional cost',
      { altcha: { hmacKey: HMAC_KEY, cost: 1.5 } },
      'options.altcha.cost: 1.5 is not a whole number; accepted: an integer from 1 to 4294967295 (iterations)',
    ],
    [
      'a counter with min above max',
      { altcha: { hmacKey: HMAC_KEY, counter: [60_000, 10_000] } },
      'options.altcha.counter: [60000, 10000] has a min not below its max; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
    ],
    [
      'a counter with min equal to max',
      { altcha: { hmacKey: HMAC_KEY, counter: [5, 5] } },
      'options.altcha.counter: [5, 5] has a min not below its max; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
    ],
    [
      'a counter starting at 0',
      { altcha: { hmacKey: HMAC_KEY, counter: [0, 10] } },
      'options.altcha.counter: [0, 10] is out of range; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
    ],
    [
      'a counter above 2^32-1',
      { altcha: { hmacKey: HMAC_KEY, counter: [1, 2 ** 32] } },
      'options.altcha.counter: [1, 4294967296] is out of range; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
    ],
    [
      'a counter with fractions',
      { altcha: { hmacKey: HMAC_KEY, counter: [1.5, 10] } },
      'options.altcha.counter: [1.5, 10] does not hold two whole numbers; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
    ],
    [
      'a counter of three numbers',
      { altcha: { hmacKey: HMAC_KEY, counter: [1, 2, 3] } },
      'options.altcha.counter: [1, 2, 3] is not a [min, max] pair; accepted: [min, max], whole numbers with 1 ≤ min < max ≤ 4294967295',
    ],
    [
      'an expiry under 10 s',
      { altcha: { hmacKey: HMAC_KEY, expiresInSeconds: 5 } },
      'options.altcha.expiresInSeconds: 5 is out of range; accepted: an integer from 10 to 86400 (seconds)',
    ],
    [
      'an expiry over a day',
      { altcha: { hmacKey: HMAC_KEY, expiresInSeconds: 86_401 } },
      'options.altcha.expiresInSeconds: 86401 is out of range; accepted: an integer from 10 to 86400 (seconds)',
    ],
    [
      'a relative challenge path',
      { altcha: { hmacKey: HMAC_KEY, challengePath: 'captcha/challenge' } },
      "options.altcha.challengePath: \"captcha/challenge\" does not start with '/'; accepted: a path starting with '/', e.g. /captcha/challenge, or false to serve none",
    ],
    [
      'a challenge path of true',
      { altcha: { hmacKey: HMAC_KEY, challengePath: true } },
      "options.altcha.challengePath: true is not a path; accepted: a path starting with '/', e.g. /captcha/challenge, or false to serve none",
    ],
  ]);

  refusedVariables([
    [
      'CAPTCHA_ALTCHA_HMAC_KEY too short',
      { CAPTCHA_ALTCHA_HMAC_KEY: 'short' },
      'CAPTCHA_ALTCHA_HMAC_KEY: the value (hidden) is too short; accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
    ],
    [
      'CAPTCHA_ALTCHA_HMAC_KEY missing in production (CAPTCHA_ENV)',
      { CAPTCHA_ENV: 'production' },
      'CAPTCHA_ALTCHA_HMAC_KEY: not set, but provider "altcha" requires it in production (CAPTCHA_ENV=production); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
    ],
    [
      'CAPTCHA_ALTCHA_HMAC_KEY missing in production (NODE_ENV)',
      { CAPTCHA_PROVIDER: 'altcha', NODE_ENV: 'production' },
      'CAPTCHA_ALTCHA_HMAC_KEY: not set, but provider "altcha" requires it in production (NODE_ENV=production); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
    ],
    [
      'CAPTCHA_ALTCHA_HMAC_KEY missing in production for an ALTCHA fallback',
      { ...TURNSTILE_ENV, CAPTCHA_FALLBACK_PROVIDER: 'altcha', NODE_ENV: 'production' },
      'CAPTCHA_ALTCHA_HMAC_KEY: not set, but fallback provider "altcha" (CAPTCHA_FALLBACK_PROVIDER) requires it in production (NODE_ENV=production); accepted: a random secret of at least 32 characters without spaces, e.g. the output of `openssl rand -hex 32`',
    ],
  ]);
});
