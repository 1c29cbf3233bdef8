import { type CaptchaModuleOptions, resolveCaptchaOptions } from '../../lib/config';
import { DEV, linesOf, optionsError, SECRET, TURNSTILE } from './config-helpers';

const HCAPTCHA = {
  provider: 'hcaptcha',
  siteKey: 'hc-site',
  secretKey: 'hc-secret-value',
} as const;

describe('options.providers', () => {
  it('accepts providers registered beside the primary one, ALTCHA without keys', () => {
    const providers = [HCAPTCHA, { provider: 'altcha' }] as CaptchaModuleOptions['providers'];
    expect(resolveCaptchaOptions({ ...TURNSTILE, providers }, DEV).providers).toEqual(providers);
    const rotating = [{ ...HCAPTCHA, secretKey: () => 'rotated' }];
    expect(resolveCaptchaOptions({ ...TURNSTILE, providers: rotating }, DEV).providers).toBe(
      rotating,
    );
  });

  it.each<[string, unknown, string]>([
    [
      'not an array',
      HCAPTCHA,
      'options.providers: an object is not an array; accepted: an array of { provider, siteKey, secretKey, verifyUrl? }',
    ],
    [
      'an entry that is not an object',
      ['hcaptcha'],
      'options.providers[0]: "hcaptcha" is not an object',
    ],
    [
      'an unknown provider, with a did-you-mean',
      [{ ...HCAPTCHA, provider: 'hcapcha' }],
      'options.providers[0].provider: "hcapcha" is not a known provider (did you mean "hcaptcha"?); accepted: turnstile,',
    ],
    [
      'the primary provider again (the entry would be shadowed)',
      [{ ...HCAPTCHA, provider: 'turnstile' }],
      'options.providers[0].provider: "turnstile" is the same as options.provider',
    ],
    [
      'a provider registered twice',
      [HCAPTCHA, HCAPTCHA],
      'options.providers[1].provider: "hcaptcha" is registered twice (also options.providers[0])',
    ],
    [
      'a missing site key',
      [{ provider: 'hcaptcha', secretKey: 'x' }],
      'options.providers[0].siteKey: not set, but provider "hcaptcha" requires it; accepted: the site key issued by hcaptcha',
    ],
    [
      'a missing secret key',
      [{ provider: 'hcaptcha', siteKey: 'x' }],
      'options.providers[0].secretKey: not set, but provider "hcaptcha" requires it; accepted: the secret key issued by hcaptcha',
    ],
    [
      'a site key with a space',
      [{ ...HCAPTCHA, siteKey: 'hc site' }],
      'options.providers[0].siteKey: "hc site" contains whitespace or control characters',
    ],
    [
      'a secret that is neither a string nor a function',
      [{ ...HCAPTCHA, secretKey: 42 }],
      'options.providers[0].secretKey: the value (hidden) is not a string or a function',
    ],
    [
      'a verify URL that is not http(s), shown masked',
      [{ ...HCAPTCHA, verifyUrl: 'ftp://u:pw1234@proxy.example/v?key=abcd' }],
      'options.providers[0].verifyUrl: "ftp://u:***@proxy.example/v?key=***" is not an absolute http(s) URL',
    ],
  ])('refuses %s', (_label, providers, line) => {
    const error = optionsError({ ...TURNSTILE, providers });
    expect(linesOf(error).some((l) => l.startsWith(line))).toBe(true);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('hc-secret-value');
    expect(error.message).not.toContain('pw1234');
  });

  it('refuses the fallback provider registered again', () => {
    const error = optionsError({
      ...TURNSTILE,
      failureMode: 'fallback',
      fallback: { provider: 'altcha' },
      providers: [{ provider: 'altcha' }],
    });
    expect(linesOf(error)).toEqual([
      'options.providers[0].provider: "altcha" is the fallback provider already (options.fallback.provider); accepted: an array of { provider, siteKey, secretKey, verifyUrl? }, one per provider other than options.provider, e.g. [{ provider: \'recaptcha\', siteKey, secretKey }]',
    ]);
  });
});

describe('options.messages', () => {
  it('accepts per-language overrides of the three codes', () => {
    const messages = {
      de: { captcha_required: 'Bitte bestätigen.' },
      'pt-br': { captcha_invalid: 'Tente de novo.', captcha_unavailable: 'Indisponível.' },
    };
    expect(resolveCaptchaOptions({ messages }, DEV).messages).toEqual(messages);
  });

  it.each<[string, unknown, string]>([
    [
      'not an object',
      'Bitte bestätigen',
      'options.messages: "Bitte bestätigen" is not an object; accepted: an object of lower-case language tags to messages',
    ],
    [
      'an upper-case tag, which Accept-Language never matches',
      { 'pt-BR': { captcha_required: 'x' } },
      'options.messages: "pt-BR" is not a lower-case language tag (did you mean "pt-br"?)',
    ],
    [
      'a tag that is not a language tag',
      { 'en us': { captcha_required: 'x' } },
      'options.messages: "en us" is not a lower-case language tag; accepted:',
    ],
    [
      'a language whose messages are not an object',
      { de: 'Bitte' },
      'options.messages.de: "Bitte" is not an object; accepted: an object of captcha_required, captcha_invalid, captcha_unavailable to their text',
    ],
    [
      'an unknown code, with a did-you-mean',
      { de: { captcha_requird: 'x' } },
      'options.messages.de: "captcha_requird" is not a message code (did you mean "captcha_required"?); accepted: captcha_required, captcha_invalid, captcha_unavailable',
    ],
    [
      'a message that is not a string',
      { 'pt-br': { captcha_invalid: 42 } },
      'options.messages["pt-br"].captcha_invalid: 42 is not a string',
    ],
    [
      'a blank message',
      { de: { captcha_required: '  ' } },
      'options.messages.de.captcha_required: "  " is blank',
    ],
  ])('refuses %s', (_label, messages, line) => {
    const lines = linesOf(optionsError({ messages }));
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(line)).toBe(true);
  });
});
