/**
 * The sample's sign-in page in a real Chromium, on the sample's defaults (ALTCHA, memory store):
 * the whole loop of `captcha_required` → widget → retry, solved by the real `altcha` widget.
 */
import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CAPTCHA_MESSAGES } from '../../lib/errors/captcha-messages';
import { LOGIN_TEXTS } from '../../sample/login/login-texts';
import {
  artifactPath,
  bootSample,
  ensureClientBuilt,
  failThreeTimes,
  launchChromium,
  recordPosts,
  signIn,
  statusText,
} from './browser-harness';

describe('sample sign-in page in Chromium (ALTCHA)', () => {
  let browser: Browser;
  let app: INestApplication;
  let url: string;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    ensureClientBuilt();
    browser = await launchChromium();
    ({ app, url } = await bootSample());
  }, 60_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function open(
    headers: Record<string, string> = {},
    locale: string = 'en-US',
    options: { widgetTimeoutMs?: number } = {},
  ): Promise<Page> {
    context = await browser.newContext({ extraHTTPHeaders: headers, locale });
    const page = await context.newPage();
    if (options.widgetTimeoutMs !== undefined) {
      // The page's config block, with a short wait for the widget's token.
      await page.route(`${url}/`, async (route) => {
        const response = await route.fetch();
        const body = (await response.text()).replace(
          '{"scriptUrls":',
          `{"widgetTimeoutMs":${options.widgetTimeoutMs},"scriptUrls":`,
        );
        await route.fulfill({ response, body });
      });
    }
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      // A CSP violation or script error would show here; 401/403 answers are expected.
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) {
        problems.push(message.text());
      }
    });
    (page as Page & { problems: string[] }).problems = problems;
    await page.goto(`${url}/`);
    return page;
  }

  const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

  it('three wrong passwords, then the ALTCHA widget, solved in the browser, lets the right password in', async () => {
    const page = await open();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const logins = recordPosts(page, '/auth/login');

    await failThreeTimes(page);
    expect(await page.locator('altcha-widget').count()).toBe(0);

    await signIn(page, 'correct-horse');
    const widget = page.locator('#captcha-widget altcha-widget');
    await widget.waitFor({ state: 'visible' });
    expect(await page.textContent('#captcha-message')).toBe(CAPTCHA_MESSAGES.en.captcha_required);
    expect(await widget.getAttribute('challenge')).toBe(`${url}/captcha/challenge?action=login`);
    await page.screenshot({ path: artifactPath('altcha-challenged.png'), fullPage: true });

    // The user ticks "I'm not a robot"; the widget solves the proof of work in its workers.
    await page.click('altcha-widget label');
    expect(await statusText(page)).toBe('Signed in as demo@example.com.');
    expect(await page.isHidden('#captcha')).toBe(true);
    expect(await page.locator('altcha-widget').count()).toBe(0);

    // Four plain attempts, then the same request again with the solved payload.
    expect(logins).toHaveLength(5);
    const retry = logins[4];
    expect(retry).toMatchObject({ email: 'demo@example.com', password: 'correct-horse' });
    expect(retry.captcha).toEqual({ provider: 'altcha', token: expect.any(String) });
    expect(logins.slice(0, 4).every((body) => !('captcha' in body))).toBe(true);

    // Everything came from the app itself: no CDN.
    expect(requested.filter((address) => !address.startsWith(url))).toEqual([]);
    expect(requested).toContain(`${url}/assets/altcha/altcha.js`);
    expect(problemsOf(page)).toEqual([]);

    // The success reset the counter: the next sign-in needs no challenge.
    await signIn(page, 'correct-horse');
    expect(await statusText(page)).toBe('Signed in as demo@example.com.');
    expect(logins).toHaveLength(6);
  });

  it('speaks German to a browser asking for German: the page, its errors and the API’s message', async () => {
    const de = LOGIN_TEXTS.de;
    const page = await open({ 'Accept-Language': 'de' }, 'de-DE');
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await page.title()).toBe(de.title);
    expect(await page.textContent('h1')).toBe(de.heading);
    expect(await page.textContent('label[for=password]')).toBe(de.password);
    expect(await page.textContent('#submit')).toBe(de.submit);
    await failThreeTimes(page, de.wrongCredentials);

    await signIn(page, 'correct-horse');
    const widget = page.locator('#captcha-widget altcha-widget');
    await widget.waitFor({ state: 'visible' });
    expect(await page.textContent('#captcha-message')).toBe(CAPTCHA_MESSAGES.de.captcha_required);
    // The widget speaks German too (the sample loads the altcha translation for the browser).
    await expect(widget.locator('label').textContent()).resolves.toBe('Ich bin kein Roboter');
    await page.screenshot({ path: artifactPath('altcha-challenged-de.png'), fullPage: true });

    // Solve it too, which resets the counter for the other tests.
    await page.click('altcha-widget label');
    expect(await statusText(page)).toBe('Angemeldet als demo@example.com.');
    expect(problemsOf(page)).toEqual([]);
  });

  it('renders the widget in the page’s language, even when the browser’s UI language differs', async () => {
    const fr = LOGIN_TEXTS.fr;
    // Accept-Language French (the page and the API), navigator.languages English.
    context = await browser.newContext({ locale: 'fr-FR' });
    await context.addInitScript(() => {
      Object.defineProperty(navigator, 'languages', { get: () => ['en-US', 'en'] });
      Object.defineProperty(navigator, 'language', { get: () => 'en-US' });
    });
    const page = await context.newPage();
    await page.goto(`${url}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    await failThreeTimes(page, fr.wrongCredentials);
    await signIn(page, 'correct-horse');
    const widget = page.locator('#captcha-widget altcha-widget');
    await widget.waitFor({ state: 'visible' });
    expect(await page.textContent('#captcha-message')).toBe(CAPTCHA_MESSAGES.fr.captcha_required);
    await expect(widget.locator('label').textContent()).resolves.toBe('Je ne suis pas un robot');
    await page.click('altcha-widget label');
    expect(await statusText(page)).toBe('Connecté en tant que demo@example.com.');
  });

  it('moves focus to the challenge, and retries with the password as edited while it showed', async () => {
    const page = await open();
    const logins = recordPosts(page, '/auth/login');
    await failThreeTimes(page);

    // A typo, noticed once the challenge shows: the user corrects it, then solves the widget.
    await signIn(page, 'correct-hose');
    const widget = page.locator('#captcha-widget altcha-widget');
    await widget.waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('captcha');
    expect(await page.getAttribute('#captcha', 'aria-label')).toBe(LOGIN_TEXTS.en.verification);
    await page.fill('#password', 'correct-horse');
    await page.click('altcha-widget label');

    expect(await statusText(page)).toBe('Signed in as demo@example.com.');
    expect(logins).toHaveLength(5);
    expect(logins[3]).toEqual({ email: 'demo@example.com', password: 'correct-hose' });
    expect(logins[4]).toMatchObject({ password: 'correct-horse', captcha: { provider: 'altcha' } });
    expect(problemsOf(page)).toEqual([]);
  });

  it('answers a retry the server refuses (the password emptied while the challenge showed) in the page’s language', async () => {
    const de = LOGIN_TEXTS.de;
    const page = await open({ 'Accept-Language': 'de' }, 'de-DE');
    await failThreeTimes(page, de.wrongCredentials);
    await signIn(page, 'correct-horse');
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    await page.fill('#password', '');
    await page.click('altcha-widget label');
    // The strict ValidationPipe's 400 is English: the page says it in its own words.
    expect(await statusText(page)).toBe('Der Server antwortete 400.');

    // Solve the next challenge with the password in place, which resets the count.
    await signIn(page, 'correct-horse');
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    await page.click('altcha-widget label');
    expect(await statusText(page)).toBe('Angemeldet als demo@example.com.');
  });

  it('shows an error with a retry button when the widget cannot fetch its challenge', async () => {
    const page = await open();
    await failThreeTimes(page);
    await page.route(`${url}/captcha/challenge**`, (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: '{}' }),
    );

    await signIn(page, 'correct-horse');
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    await page.click('altcha-widget label');
    expect(await statusText(page)).toBe(LOGIN_TEXTS.en.widgetFailed);
    expect(await page.getAttribute('#status', 'data-error')).toBe('CaptchaWidgetError');
    expect(await page.isHidden('#captcha')).toBe(true);
    expect(await page.isVisible('#retry')).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('retry');

    // The challenge endpoint is back: the retry button runs the sign-in again.
    await page.unroute(`${url}/captcha/challenge**`);
    await page.click('#retry');
    const widget = page.locator('#captcha-widget altcha-widget');
    await widget.waitFor({ state: 'visible' });
    expect(await page.isHidden('#retry')).toBe(true);
    await page.click('altcha-widget label');
    expect(await statusText(page)).toBe('Signed in as demo@example.com.');
  });

  it('gives up on a widget that never hands over a token, with an error and a retry button', async () => {
    const page = await open({}, 'en-US', { widgetTimeoutMs: 1_500 });
    await failThreeTimes(page);

    await signIn(page, 'correct-horse');
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    // Nobody ticks the box.
    expect(await statusText(page)).toBe(LOGIN_TEXTS.en.widgetTimeout);
    expect(await page.getAttribute('#status', 'data-error')).toBe('timeout');
    expect(await page.isHidden('#captcha')).toBe(true);
    expect(await page.locator('altcha-widget').count()).toBe(0);
    expect(await page.isVisible('#retry')).toBe(true);

    await page.click('#retry');
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    await page.click('altcha-widget label');
    expect(await statusText(page)).toBe('Signed in as demo@example.com.');
    expect(problemsOf(page)).toEqual([]);
  });
});
