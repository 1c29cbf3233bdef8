/**
 * The browser loop for the script-based providers, offline: the sample app verifies against
 * `FakeCaptchaServer`, and its page loads the fake server's stand-in for the provider's widget
 * script (`fake.widgetScriptUrl()`), which hands out tokens the fake verify endpoint accepts.
 */
import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FakeCaptchaServer, type FakeWidgetProvider } from 'nestjs-captcha/testing';
import { LOGIN_TEXTS } from '../../sample/login/login-texts';
import {
  bootSample,
  ensureClientBuilt,
  failThreeTimes,
  launchChromium,
  recordPosts,
  signIn,
  statusText,
} from './browser-harness';

/** What `page.evaluate` returns from a `captchaFetch` call made inside the page. */
interface InPageResult {
  status: number;
  body: Record<string, unknown>;
  challenges: { code: string; provider: string; reason: string | null; attempt: number }[];
}

/**
 * Calls `captchaFetch` inside the page (the module the page itself loads) and reports the final
 * answer and every challenge it met.
 */
function captchaFetchInPage(
  page: Page,
  path: string,
  body: Record<string, unknown>,
  options: { scriptUrls: Record<string, string>; recaptchaMode?: 'checkbox' | 'score' },
): Promise<InPageResult> {
  // A string, not a function: ts-jest would compile a function's `import()` into `require`.
  const args = JSON.stringify({ path, body, options });
  return page.evaluate(`(async () => {
    const { path, body, options } = ${args};
    const client = await import('/assets/nestjs-captcha/client/index.js');
    const challenges = [];
    const response = await client.captchaFetch(
      path,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      {
        ...options,
        container: '#captcha-widget',
        onChallenge: (c) =>
          challenges.push({ code: c.code, provider: c.provider, reason: c.reason, attempt: c.attempt }),
      },
    );
    return { status: response.status, body: await response.json(), challenges };
  })()`) as Promise<InPageResult>;
}

function envFor(fake: FakeCaptchaServer, provider: FakeWidgetProvider): Record<string, string> {
  return {
    CAPTCHA_PROVIDER: provider,
    CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys[provider],
    CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets[provider],
    CAPTCHA_VERIFY_URL: fake.verifyUrl(provider),
    SAMPLE_WIDGET_SCRIPT_URL: fake.widgetScriptUrl(provider),
  };
}

describe('fake widget scripts in Chromium', () => {
  let browser: Browser;
  let fake: FakeCaptchaServer;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    ensureClientBuilt();
    browser = await launchChromium();
    fake = await FakeCaptchaServer.start();
  }, 60_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await browser?.close();
    await fake?.close();
  });

  async function open(url: string): Promise<Page> {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/`);
    return page;
  }

  describe('Turnstile', () => {
    let app: INestApplication;
    let url: string;
    let spentToken: string;

    beforeAll(async () => {
      ({ app, url } = await bootSample(envFor(fake, 'turnstile')));
    });
    afterAll(async () => {
      await app?.close();
    });

    it('captcha_required → the fake Turnstile widget → the retry signs in', async () => {
      const page = await open(url);
      const scriptLoads: string[] = [];
      page.on('request', (request) => {
        if (request.url().startsWith(fake.widgetScriptUrl('turnstile'))) {
          scriptLoads.push(request.url());
        }
      });
      const logins = recordPosts(page, '/auth/login');
      const verifiesBefore = fake.requests.length;

      await failThreeTimes(page);
      await signIn(page, 'correct-horse');
      expect(await statusText(page)).toBe('Signed in as demo@example.com.');

      // The widget rendered (now removed) for the challenge the API named.
      expect(await page.getAttribute('#captcha', 'data-provider')).toBe('turnstile');
      expect(scriptLoads).toHaveLength(1);
      expect(new URL(scriptLoads[0]).searchParams.get('render')).toBe('explicit');

      expect(logins).toHaveLength(5);
      const captcha = logins[4].captcha as { provider: string; token: string };
      expect(captcha.provider).toBe('turnstile');
      expect(captcha.token).toMatch(/^0\./);
      spentToken = captcha.token;

      // One siteverify call, for that token, which the fake accepted.
      const verifies = fake.requests.slice(verifiesBefore);
      expect(verifies).toHaveLength(1);
      expect(verifies[0].form?.response).toBe(spentToken);
    });

    it('a replayed token is refused and the helper fetches a fresh one', async () => {
      expect(spentToken).toBeDefined();
      const page = await open(url);
      const signups = recordPosts(page, '/auth/signup');

      const result = await captchaFetchInPage(
        page,
        '/auth/signup',
        {
          email: 'new@example.com',
          password: 'pw',
          captcha: { provider: 'turnstile', token: spentToken },
        },
        { scriptUrls: { turnstile: fake.widgetScriptUrl('turnstile') } },
      );

      expect(result.status).toBe(201);
      expect(result.body).toMatchObject({ created: true, email: 'new@example.com' });
      expect(result.challenges).toEqual([
        { code: 'captcha_invalid', provider: 'turnstile', reason: 'duplicate', attempt: 1 },
      ]);
      expect(signups).toHaveLength(2);
      const fresh = (signups[1].captcha as { token: string }).token;
      expect(fresh).not.toBe(spentToken);
      expect(signups[1].captcha).toEqual({ provider: 'turnstile', token: fresh });
    });

    it('reports a widget script the page’s CSP forbids, pointing at captchaCspDirectives', async () => {
      context = await browser.newContext();
      const page = await context.newPage();
      // Serve the page with a policy that only allows its own scripts: the fake's is refused.
      await page.route(`${url}/`, async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        headers['content-security-policy'] =
          "default-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'";
        await route.fulfill({ response, headers });
      });
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.goto(`${url}/`);

      await failThreeTimes(page);
      await signIn(page, 'correct-horse');
      // The user reads that the verification could not load, with a way to retry; the
      // developer reads why underneath.
      expect(await statusText(page)).toBe(LOGIN_TEXTS.en.widgetFailed);
      const detail = (await page.textContent('#status-detail')) ?? '';

      expect(await page.getAttribute('#status', 'data-error')).toBe('CaptchaScriptError');
      expect(detail).toContain(fake.widgetScriptUrl('turnstile').split('?')[0]);
      expect(detail).toContain('Content-Security-Policy blocked it (script-src');
      expect(detail).toContain("captchaCspDirectives('turnstile') from nestjs-captcha");
      expect(violations.length).toBeGreaterThan(0);
      expect(await page.isHidden('#captcha')).toBe(true);
      expect(await page.isVisible('#retry')).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('retry');
    });
  });

  describe.each([
    { label: 'hCaptcha', provider: 'hcaptcha', recaptchaMode: undefined },
    { label: 'reCAPTCHA v2 checkbox', provider: 'recaptcha', recaptchaMode: 'checkbox' },
    { label: 'reCAPTCHA v3 score', provider: 'recaptcha', recaptchaMode: 'score' },
  ] as const)('$label', ({ provider, recaptchaMode }) => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await bootSample(envFor(fake, provider)));
    });
    afterAll(async () => {
      await app?.close();
    });

    it('renders the fake widget on captcha_required and the retry is accepted', async () => {
      const page = await open(url);
      const result = await captchaFetchInPage(
        page,
        '/auth/signup',
        { email: 'new@example.com', password: 'pw' },
        { scriptUrls: { [provider]: fake.widgetScriptUrl(provider) }, recaptchaMode },
      );
      expect(result.challenges).toEqual([
        { code: 'captcha_required', provider, reason: null, attempt: 1 },
      ]);
      expect(result).toMatchObject({ status: 201, body: { created: true } });
    });
  });
});
