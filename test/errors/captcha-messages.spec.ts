import { CAPTCHA_MESSAGES, captchaMessage } from 'nestjs-captcha';

describe('localized CAPTCHA messages', () => {
  it('has all three messages in at least the eight required languages', () => {
    for (const language of ['en', 'es', 'fr', 'de', 'pt', 'ja', 'zh', 'ru']) {
      const set = CAPTCHA_MESSAGES[language];
      expect(Object.keys(set).sort()).toEqual([
        'captcha_invalid',
        'captcha_required',
        'captcha_unavailable',
      ]);
      for (const message of Object.values(set)) expect(message.length).toBeGreaterThan(10);
    }
    const distinct = new Set(Object.values(CAPTCHA_MESSAGES).map((set) => set.captcha_required));
    expect(distinct.size).toBe(Object.keys(CAPTCHA_MESSAGES).length);
  });

  it.each([
    ['de', 'de'],
    ['de-CH,de;q=0.9,en;q=0.8', 'de'],
    ['pt-BR', 'pt'],
    ['zh-CN,zh;q=0.9', 'zh'],
    ['it;q=1, ja;q=0.5', 'ja'],
    ['en;q=0.2, fr;q=0.9', 'fr'],
    ['xx, *', 'en'],
    ['', 'en'],
    [undefined, 'en'],
    ['de;q=0, es', 'es'],
    ['<script>;q=1, ru', 'ru'],
  ])('chooses %p → %s', (header, language) => {
    const chosen = captchaMessage('captcha_required', header as string | undefined);
    expect(chosen.language).toBe(language);
    expect(chosen.message).toBe(CAPTCHA_MESSAGES[language].captcha_required);
  });

  it('lets the app override a message or add a language', () => {
    const overrides = {
      de: { captcha_invalid: 'Bitte erneut lösen.' },
      it: { captcha_required: 'Completa la verifica.' },
    };
    expect(captchaMessage('captcha_invalid', 'de', overrides).message).toBe('Bitte erneut lösen.');
    expect(captchaMessage('captcha_required', 'de', overrides).message).toBe(
      CAPTCHA_MESSAGES.de.captcha_required,
    );
    expect(captchaMessage('captcha_required', 'it-IT', overrides)).toEqual({
      language: 'it',
      message: 'Completa la verifica.',
    });
  });

  it('reads a huge header cheaply and safely', () => {
    expect(captchaMessage('captcha_required', 'x,'.repeat(100_000) + 'de').language).toBe('en');
  });
});
