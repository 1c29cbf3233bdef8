import { captchaCspDirectives, mergeCspDirectives, type CaptchaProviderName } from 'nestjs-captcha';

/** What the page's script reads from its `#captcha-config` data block. */
export interface LoginPageConfig {
  /** `captchaFetch`'s `scriptUrls`: where each provider's widget script comes from. */
  scriptUrls: Partial<Record<CaptchaProviderName, string>>;
}

/** The page's own policy: nothing inline, nothing from elsewhere unless the widget needs it. */
const BASE_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The page's Content-Security-Policy: the base policy merged with what the provider's widget
 * needs (`captchaCspDirectives`), plus the origin of any widget script URL the page was told to
 * use instead of the provider's.
 */
export function loginPageCsp(provider: CaptchaProviderName, config: LoginPageConfig): string {
  const origins = Object.values(config.scriptUrls)
    .filter((url): url is string => typeof url === 'string' && /^https?:\/\//.test(url))
    .map((url) => new URL(url).origin);
  const extra = origins.length
    ? { 'script-src': origins, 'connect-src': origins, 'frame-src': origins }
    : undefined;
  const directives = mergeCspDirectives(BASE_POLICY, captchaCspDirectives(provider, { extra }));
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

/** The sign-in page. Its script is `/assets/login.js`; the config travels in a JSON data block. */
export function loginPageHtml(config: LoginPageConfig): string {
  // A data block is not executed (so CSP allows it); `<` is escaped so it cannot close the tag.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Sign in · nestjs-captcha sample</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/assets/login.css" />
    <script type="module" src="/assets/login.js"></script>
  </head>
  <body>
    <main>
      <h1>Sign in</h1>
      <p class="hint">
        Demo account <code>demo@example.com</code> / <code>correct-horse</code>. After three wrong
        passwords, the next attempt asks you to complete a verification first.
      </p>
      <form id="login-form">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="demo@example.com" />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <section id="captcha" hidden>
          <p id="captcha-message" role="alert"></p>
          <div id="captcha-widget"></div>
        </section>
        <button id="submit" type="submit">Sign in</button>
      </form>
      <p id="status" role="status" aria-live="polite"></p>
    </main>
    <script id="captcha-config" type="application/json">${json}</script>
  </body>
</html>
`;
}
