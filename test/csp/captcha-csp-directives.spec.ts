import {
  CAPTCHA_PROVIDER_NAMES,
  captchaCspDirectives,
  type CaptchaCspDirectives,
  mergeCspDirectives,
} from 'nestjs-captcha';

const RECAPTCHA: CaptchaCspDirectives = {
  'script-src': ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'],
  'frame-src': ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'],
  'connect-src': [],
};

describe('captchaCspDirectives', () => {
  it.each<[string, CaptchaCspDirectives]>([
    [
      'turnstile',
      {
        'script-src': ['https://challenges.cloudflare.com'],
        'frame-src': ['https://challenges.cloudflare.com'],
        'connect-src': ['https://challenges.cloudflare.com'],
      },
    ],
    ['recaptcha', RECAPTCHA],
    ['recaptcha-enterprise', RECAPTCHA],
    [
      'hcaptcha',
      {
        'script-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
        'frame-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
        'connect-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
        'style-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      },
    ],
    [
      'friendly-captcha',
      {
        'script-src': ['https://cdn.jsdelivr.net/npm/@friendlycaptcha/'],
        'frame-src': ['https://*.frcapi.com'],
        'connect-src': ['https://global.frcapi.com', 'https://eu.frcapi.com'],
        'worker-src': ['blob:'],
      },
    ],
    [
      'altcha',
      {
        'script-src': ["'self'"],
        'frame-src': [],
        'connect-src': ["'self'"],
        'worker-src': ["'self'", 'blob:'],
      },
    ],
    ['captchala', { 'script-src': [], 'frame-src': [], 'connect-src': [] }],
  ])('lists what the %s widget needs', (provider, expected) => {
    expect(captchaCspDirectives(provider as never)).toEqual(expected);
  });

  it('knows every provider name, and always has script-src, frame-src and connect-src', () => {
    for (const provider of CAPTCHA_PROVIDER_NAMES) {
      const directives = captchaCspDirectives(provider);
      expect(Array.isArray(directives['script-src'])).toBe(true);
      expect(Array.isArray(directives['frame-src'])).toBe(true);
      expect(Array.isArray(directives['connect-src'])).toBe(true);
    }
  });

  it('refuses an unknown provider', () => {
    expect(() => captchaCspDirectives('nope' as never)).toThrow(/Unknown CAPTCHA provider: nope/);
  });

  it('adds the fallback provider without duplicates', () => {
    const directives = captchaCspDirectives('turnstile', { fallback: 'altcha' });
    expect(directives).toEqual({
      'script-src': ['https://challenges.cloudflare.com', "'self'"],
      'frame-src': ['https://challenges.cloudflare.com'],
      'connect-src': ['https://challenges.cloudflare.com', "'self'"],
      'worker-src': ["'self'", 'blob:'],
    });
    expect(captchaCspDirectives('recaptcha', { fallback: 'recaptcha-enterprise' })).toEqual(
      RECAPTCHA,
    );
    expect(captchaCspDirectives('altcha', { fallback: 'altcha' })).toEqual(
      captchaCspDirectives('altcha'),
    );
  });

  it('adds extra sources (e.g. the CaptchaLa loader) without duplicates', () => {
    const directives = captchaCspDirectives('captchala', {
      extra: {
        'script-src': ['https://loader.example', 'https://loader.example'],
        'connect-src': ['https://apiv1.captcha.la'],
      },
    });
    expect(directives).toEqual({
      'script-src': ['https://loader.example'],
      'frame-src': [],
      'connect-src': ['https://apiv1.captcha.la'],
    });
    expect(
      captchaCspDirectives('recaptcha', {
        extra: { 'script-src': ['https://www.recaptcha.net/recaptcha/'] },
      })['script-src'],
    ).toEqual([...RECAPTCHA['script-src'], 'https://www.recaptcha.net/recaptcha/']);
  });

  it("swaps the Friendly Captcha CDN for 'self' when the SDK is self-hosted", () => {
    expect(
      captchaCspDirectives('friendly-captcha', { selfHostedScripts: true })['script-src'],
    ).toEqual(["'self'"]);
  });

  it('never holds duplicates, whatever the combination', () => {
    for (const provider of CAPTCHA_PROVIDER_NAMES) {
      for (const fallback of CAPTCHA_PROVIDER_NAMES) {
        const directives = captchaCspDirectives(provider, { fallback });
        for (const sources of Object.values(directives)) {
          expect(new Set(sources).size).toBe(sources!.length);
        }
      }
    }
  });

  it('returns fresh lists each time', () => {
    const first = captchaCspDirectives('recaptcha');
    first['script-src'].push('https://evil.example');
    expect(captchaCspDirectives('recaptcha')).toEqual(RECAPTCHA);
  });
});

describe('mergeCspDirectives', () => {
  it('unites sources per directive, in first-seen order, without duplicates', () => {
    expect(
      mergeCspDirectives(
        { 'script-src': ["'self'", 'https://a.example'] },
        { 'script-src': ['https://a.example', 'https://b.example'] },
      ),
    ).toEqual({ 'script-src': ["'self'", 'https://a.example', 'https://b.example'] });
  });

  it('normalizes camelCase names and space-separated strings', () => {
    expect(
      mergeCspDirectives(
        { scriptSrc: ["'self'"], frameAncestors: "'self'  https://x.example" },
        { 'script-src': ['https://challenges.cloudflare.com'] },
      ),
    ).toEqual({
      'script-src': ["'self'", 'https://challenges.cloudflare.com'],
      'frame-ancestors': ["'self'", 'https://x.example'],
    });
  });

  it('keeps what default-src allowed when a directive is added (helmet defaults + turnstile)', () => {
    const helmetLikeDefaults = {
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'object-src': ["'none'"],
      'upgrade-insecure-requests': [],
    };
    expect(mergeCspDirectives(helmetLikeDefaults, captchaCspDirectives('turnstile'))).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'", 'https://challenges.cloudflare.com'],
      'object-src': ["'none'"],
      'upgrade-insecure-requests': [],
      'frame-src': ["'self'", 'https://challenges.cloudflare.com'],
      'connect-src': ["'self'", 'https://challenges.cloudflare.com'],
    });
  });

  it('is order-independent for inherited sources', () => {
    const base = { 'default-src': ["'self'"] };
    const captcha = captchaCspDirectives('hcaptcha');
    const a = mergeCspDirectives(base, captcha);
    const b = mergeCspDirectives(captcha, base);
    for (const name of Object.keys(a)) expect(new Set(b[name])).toEqual(new Set(a[name]));
  });

  it('follows the CSP3 fallback chains for frame-src and worker-src', () => {
    const merged = mergeCspDirectives(
      {
        'default-src': ["'none'"],
        'child-src': ['https://child.example'],
        'script-src': ["'self'"],
      },
      captchaCspDirectives('altcha'),
    );
    expect(merged['worker-src']).toEqual(['https://child.example', "'self'", 'blob:']);
    // frame-src inherits child-src; altcha adds nothing there.
    expect(merged['frame-src']).toEqual(['https://child.example']);
    expect(
      mergeCspDirectives({ 'script-src': ["'self'"] }, { 'worker-src': ['blob:'] })['worker-src'],
    ).toEqual(["'self'", 'blob:']);
  });

  it("drops 'none' once a directive has other sources, and omits empty fetch directives", () => {
    const merged = mergeCspDirectives(
      { 'default-src': ["'none'"], 'object-src': ["'none'"] },
      captchaCspDirectives('recaptcha'),
    );
    expect(merged['script-src']).toEqual(RECAPTCHA['script-src']);
    expect(merged['object-src']).toEqual(["'none'"]);
    expect(merged['default-src']).toEqual(["'none'"]);
    // reCAPTCHA needs no connect-src: it keeps inheriting default-src, no empty list appears.
    expect(merged['connect-src']).toEqual(["'none'"]);
    expect(mergeCspDirectives(captchaCspDirectives('captchala'))).toEqual({});
  });

  it('keeps nonce functions, skips null, undefined and symbols', () => {
    const nonce = (_req: unknown, res: { locals: { nonce: string } }) =>
      `'nonce-${res.locals.nonce}'`;
    const merged = mergeCspDirectives(
      {
        'script-src': ["'self'", nonce],
        'upgrade-insecure-requests': null,
        'default-src': Symbol('dangerouslyDisableDefaultSrc'),
      },
      undefined,
      { 'script-src': [nonce, 'https://challenges.cloudflare.com'] },
    );
    expect(merged).toEqual({
      'script-src': ["'self'", nonce, 'https://challenges.cloudflare.com'],
    });
  });

  it('merges several captcha sets into a no-duplicate union', () => {
    const merged = mergeCspDirectives(
      captchaCspDirectives('hcaptcha'),
      captchaCspDirectives('hcaptcha'),
      captchaCspDirectives('turnstile'),
    );
    for (const sources of Object.values(merged)) {
      expect(new Set(sources).size).toBe(sources.length);
    }
    expect(merged['script-src']).toEqual([
      'https://hcaptcha.com',
      'https://*.hcaptcha.com',
      'https://challenges.cloudflare.com',
    ]);
  });
});
