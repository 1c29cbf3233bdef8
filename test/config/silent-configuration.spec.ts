import { Logger } from '@nestjs/common';
import { CaptchaConfigError, captchaOptionsFromEnv, resolveCaptchaOptions } from '../../lib/config';
import { CAPTCHA_ENV_VARIABLES } from '../../lib/config/captcha-env-variables';
import { didYouMean, editDistance } from '../../lib/config/did-you-mean';
import { unknownCaptchaVariables } from '../../lib/config/unknown-env-variables';
import { SECRET } from './config-helpers';

const KEYED_PROVIDERS =
  'turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, captchala';

/** Reads `vars`, with `vars`' names as the variables set; warnings go to the returned list. */
function fromEnv(vars: Record<string, string | undefined>) {
  const warnings: string[] = [];
  const read = () =>
    captchaOptionsFromEnv(
      { get: (key) => vars[key] },
      { variableNames: Object.keys(vars), logger: { warn: (line) => warnings.push(line) } },
    );
  return { read, warnings };
}

function problemsOf(vars: Record<string, string | undefined>): string[] {
  try {
    fromEnv(vars).read();
  } catch (error) {
    expect(error).toBeInstanceOf(CaptchaConfigError);
    return (error as Error).message.split('\n').slice(1);
  }
  throw new Error('expected a CaptchaConfigError');
}

describe('did-you-mean', () => {
  it.each([
    ['turnstile', 'turnstile', 0],
    ['turnstil', 'turnstile', 1],
    ['trunstile', 'turnstile', 1], // an adjacent swap is one edit
    ['hcapcha', 'hcaptcha', 1],
    ['', 'abc', 3],
  ])('editDistance(%j, %j) = %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });

  it.each([
    ['turnstil', 'turnstile'],
    ['Turnstile', 'turnstile'],
    ['recaptcha_enterprise', 'recaptcha-enterprise'],
    ['recaptcha-v3', 'recaptcha'],
    ['friendlycaptcha', 'friendly-captcha'],
    ['h-captcha', 'hcaptcha'],
    ['cloudflare', 'turnstile'],
  ])('suggests a provider for %j: %j', (given, suggestion) => {
    expect(
      didYouMean(
        given,
        ['turnstile', 'recaptcha', 'recaptcha-enterprise', 'hcaptcha', 'friendly-captcha'],
        {
          cloudflare: 'turnstile',
        },
      ),
    ).toBe(suggestion);
  });

  it.each(['foo', 'x', 'geetest', ''])('suggests nothing for a name far from all: %j', (given) => {
    expect(didYouMean(given, ['turnstile', 'recaptcha', 'hcaptcha', 'altcha'])).toBeUndefined();
  });
});

describe('a typo in CAPTCHA_PROVIDER stops start-up with a did-you-mean', () => {
  it.each([
    ['turnstil', ' (did you mean "turnstile"?)'],
    ['cloudflare', ' (did you mean "turnstile"?)'],
    ['recaptcha_enterprise', ' (did you mean "recaptcha-enterprise"?)'],
    ['geetest', ''],
  ])('CAPTCHA_PROVIDER=%s', (provider, hint) => {
    expect(
      problemsOf({
        CAPTCHA_PROVIDER: provider,
        CAPTCHA_SITE_KEY: 'site',
        CAPTCHA_SECRET_KEY: SECRET,
      }),
    ).toEqual([
      `CAPTCHA_PROVIDER: "${provider}" is not a known provider${hint}; accepted: turnstile, recaptcha, recaptcha-enterprise, hcaptcha, friendly-captcha, altcha, captchala`,
    ]);
  });

  it('in code too: forRoot({ provider: "hcapcha" })', () => {
    expect(() =>
      resolveCaptchaOptions(
        { provider: 'hcapcha' as never, siteKey: 'site', secretKey: SECRET },
        { nodeEnv: 'development' },
      ),
    ).toThrow('options.provider: "hcapcha" is not a known provider (did you mean "hcaptcha"?)');
  });
});

describe('keys without CAPTCHA_PROVIDER are an error, not a silent ALTCHA', () => {
  it.each([
    [
      { CAPTCHA_SITE_KEY: '0x4AAAAAAAsite', CAPTCHA_SECRET_KEY: SECRET },
      'CAPTCHA_SITE_KEY and CAPTCHA_SECRET_KEY are',
    ],
    [{ CAPTCHA_SITE_KEY: '0x4AAAAAAAsite' }, 'CAPTCHA_SITE_KEY is'],
    [{ CAPTCHA_SECRET_KEY: SECRET }, 'CAPTCHA_SECRET_KEY is'],
  ])('%j', (vars, which) => {
    const problems = problemsOf(vars);
    expect(problems).toEqual([
      `CAPTCHA_PROVIDER: not set, but ${which}: without it the provider would be altcha, which uses no site or secret key; accepted: the provider that issued the keys: ${KEYED_PROVIDERS}`,
    ]);
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('and with CAPTCHA_PROVIDER=altcha set explicitly, naming the key (the secret hidden)', () => {
    const problems = problemsOf({
      CAPTCHA_PROVIDER: 'altcha',
      CAPTCHA_SITE_KEY: 'site-key',
      CAPTCHA_SECRET_KEY: SECRET,
    });
    expect(problems).toEqual([
      'CAPTCHA_SITE_KEY: "site-key" is set, but provider "altcha" uses no site key (its key is CAPTCHA_ALTCHA_HMAC_KEY); accepted: no value with CAPTCHA_PROVIDER=altcha, or CAPTCHA_PROVIDER set to the provider that issued the site key',
      'CAPTCHA_SECRET_KEY: the value (hidden) is set, but provider "altcha" uses no secret (its key is CAPTCHA_ALTCHA_HMAC_KEY); accepted: no value with CAPTCHA_PROVIDER=altcha, or CAPTCHA_PROVIDER set to the provider that issued the secret',
    ]);
  });

  it('in code too: forRoot({ siteKey, secretKey }) without provider', () => {
    expect(() =>
      resolveCaptchaOptions({ siteKey: 'site', secretKey: SECRET }, { nodeEnv: 'development' }),
    ).toThrow(
      `options.provider (CAPTCHA_PROVIDER): not set, but options.siteKey and options.secretKey are: without it the provider would be altcha, which uses no site or secret key; accepted: the provider that issued the keys: ${KEYED_PROVIDERS}`,
    );
  });

  it('still defaults to ALTCHA when no key is set', () => {
    expect(fromEnv({}).read()).toEqual({ provider: 'altcha' });
  });
});

describe('blank values are errors naming the variable, not defaults', () => {
  it.each(
    CAPTCHA_ENV_VARIABLES.flatMap((name) => [
      [name, ''],
      [name, ' \t '],
    ]),
  )('%s=%j', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^${name}: is set but blank, which is not the same as unset: give it a value or remove it; accepted: .+`,
      ),
    );
  });

  it('a blank secret next to a good provider', () => {
    expect(
      problemsOf({
        CAPTCHA_PROVIDER: 'turnstile',
        CAPTCHA_SITE_KEY: 'site',
        CAPTCHA_SECRET_KEY: '',
      }),
    ).toEqual([
      'CAPTCHA_SECRET_KEY: is set but blank, which is not the same as unset: give it a value or remove it; accepted: the secret key exactly as the provider issued it, without spaces or line breaks',
    ]);
  });

  it('a blank NODE_ENV (only read, never validated) is still unset', () => {
    expect(fromEnv({ NODE_ENV: '' }).read()).toEqual({ provider: 'altcha' });
  });
});

describe('an unknown CAPTCHA_* variable gets a start-up warning with a did-you-mean', () => {
  it.each([
    ['CAPTCHA_SECERT_KEY', 'CAPTCHA_SECRET_KEY'],
    ['CAPTCHA_SITEKEY', 'CAPTCHA_SITE_KEY'],
    ['CAPTCHA_TIMEOUT', 'CAPTCHA_TIMEOUT_MS'],
    ['CAPTCHA_REDIS', 'CAPTCHA_REDIS_URL'],
    ['captcha_provider', 'CAPTCHA_PROVIDER'],
    ['CAPTCHA_HMAC_KEY', 'CAPTCHA_ALTCHA_HMAC_KEY'],
  ])('%s → %s', (name, suggestion) => {
    expect(unknownCaptchaVariables([name])).toEqual([{ name, suggestion }]);
  });

  it('without a suggestion when no known name is close, and not for known or other variables', () => {
    expect(
      unknownCaptchaVariables(['CAPTCHA_FOO', 'CAPTCHA_PROVIDER', 'NODE_ENV', 'RECAPTCHA_KEY']),
    ).toEqual([{ name: 'CAPTCHA_FOO' }]);
  });

  it('warns once per variable, by name only, and the options are still read', () => {
    const { read, warnings } = fromEnv({
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SITE_KEY: 'site',
      CAPTCHA_SECRET_KEY: SECRET,
      CAPTCHA_MIN_SOCRE: `0.7-${SECRET}`,
    });
    expect(read()).toMatchObject({ provider: 'turnstile' });
    expect(warnings).toEqual([
      'CAPTCHA_MIN_SOCRE is set but is not a variable nestjs-captcha reads (did you mean CAPTCHA_MIN_SCORE?)',
    ]);
  });

  it('lists the unknown variable in the error when it is why a variable looks unset', () => {
    const { read, warnings } = fromEnv({
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SITE_KEY: 'site',
      CAPTCHA_SECERT_KEY: SECRET,
    });
    expect(read).toThrow(
      'CAPTCHA_SECERT_KEY is set but is not a variable nestjs-captcha reads (did you mean CAPTCHA_SECRET_KEY?)',
    );
    expect(warnings).toHaveLength(1);
  });

  it("looks at process.env by default (where ConfigModule puts .env's variables), through Nest's Logger", () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    process.env.CAPTCHA_FALBACK_METHOD = 'email_otp';
    try {
      expect(captchaOptionsFromEnv({ get: () => undefined })).toEqual({ provider: 'altcha' });
      expect(warn).toHaveBeenCalledWith(
        'CAPTCHA_FALBACK_METHOD is set but is not a variable nestjs-captcha reads (did you mean CAPTCHA_FALLBACK_METHOD?)',
      );
    } finally {
      delete process.env.CAPTCHA_FALBACK_METHOD;
      warn.mockRestore();
    }
  });
});
