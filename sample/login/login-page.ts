import { captchaCspDirectives, mergeCspDirectives, type CaptchaProviderName } from 'nestjs-captcha';
import { LOGIN_TEXTS, type LoginTexts } from './login-texts';

/** What the page's script reads from its `#captcha-config` data block. */
export interface LoginPageConfig {
  /** `captchaFetch`'s `scriptUrls`: where each provider's widget script comes from. */
  scriptUrls: Partial<Record<CaptchaProviderName, string>>;
  /**
   * How long the page waits for the widget's token once the challenge shows before it gives up
   * with an error and a retry button (a widget that never calls back). Default 120 000 ms.
   */
  widgetTimeoutMs?: number;
  /**
   * `'score'`: the page runs reCAPTCHA v3's invisible check first (`captchaFetch`'s
   * `recaptchaMode`); a step-up after a low score still renders the v2 checkbox.
   */
  recaptchaMode?: 'score';
}

/** What the page's script gets: the config, plus its language and texts. */
interface PageData extends LoginPageConfig {
  language: string;
  texts: LoginTexts;
}

/**
 * The page's own policy: fetch directives start from 'none' and allow only what the page loads
 * (its script, stylesheet and API calls on this origin; the `data:` favicon); never a form
 * submission (the script posts JSON; without it, the form must not send the password in a URL).
 */
const BASE_POLICY = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'connect-src': ["'self'"],
  'img-src': ['data:'],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The page's Content-Security-Policy: the base policy merged with what the provider's widget
 * needs (`captchaCspDirectives`), plus the origin of any widget script URL the page was told to
 * use instead of the provider's (its script and the calls it makes).
 */
export function loginPageCsp(provider: CaptchaProviderName, config: LoginPageConfig): string {
  const origins = Object.values(config.scriptUrls)
    .filter((url): url is string => typeof url === 'string' && /^https?:\/\//.test(url))
    .map((url) => new URL(url).origin);
  const extra = origins.length ? { 'script-src': origins, 'connect-src': origins } : undefined;
  const directives = mergeCspDirectives(BASE_POLICY, captchaCspDirectives(provider, { extra }));
  if (provider === 'altcha' && directives['worker-src']) {
    // The page serves altcha's dist/external build, whose workers are files on this origin: the
    // blob: workers of its default bundle (which captchaCspDirectives allows) never start here.
    directives['worker-src'] = directives['worker-src'].filter((source) => source !== 'blob:');
  }
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/**
 * The sign-in page in `language` (a key of `LOGIN_TEXTS`), with `lang` on the document. Its
 * script is `/assets/login.js`; the config and the texts the script shows travel in a JSON data
 * block.
 */
export function loginPageHtml(config: LoginPageConfig, language: string = 'en'): string {
  const texts = LOGIN_TEXTS[language] ?? LOGIN_TEXTS.en;
  const data: PageData = { ...config, language, texts };
  // A data block is not executed (so CSP allows it); `<` is escaped so it cannot close the tag.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const t = (key: keyof LoginTexts) => escapeHtml(texts[key]);
  const hint = t('hint').replace(
    '{account}',
    '<code>demo@example.com</code> / <code>correct-horse</code>',
  );
  return `<!doctype html>
<html lang="${escapeHtml(language)}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${t('title')}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/assets/login.css" />
    <script type="module" src="/assets/login.js"></script>
  </head>
  <body>
    <main>
      <h1>${t('heading')}</h1>
      <p class="hint">${hint}</p>
      <form id="login-form">
        <label for="email">${t('email')}</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="demo@example.com" />
        <label for="password">${t('password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <section id="captcha" tabindex="-1" aria-label="${t('verification')}" hidden>
          <p id="captcha-message" role="alert"></p>
          <div id="captcha-widget"></div>
        </section>
        <button id="submit" type="submit">${t('submit')}</button>
      </form>
      <p id="status" role="status" aria-live="polite"></p>
      <!-- The technical detail of a failure is the client's English message. -->
      <p id="status-detail" lang="en" hidden></p>
      <button id="retry" type="button" hidden>${t('retry')}</button>
    </main>
    <script id="captcha-config" type="application/json">${json}</script>
  </body>
</html>
`;
}
