/**
 * Clearance in Chromium: the sample app (ALTCHA) with `CAPTCHA_CLEARANCE_TTL` set. The user solves
 * the widget once through `captchaFetch`; the browser keeps the HttpOnly `captcha_clearance`
 * cookie the answer set (page scripts cannot read it) and sends it with the next protected
 * request, which passes without a widget.
 */
import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext } from 'playwright-core';
import {
  bootSample,
  ensureClientBuilt,
  launchChromium,
  recordPosts,
  signUpInPage,
} from './browser-harness';

const ALTCHA_SCRIPT = { altcha: '/assets/altcha-widget.js' };

describe('clearance in Chromium', () => {
  let browser: Browser;
  let app: INestApplication;
  let url: string;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    ensureClientBuilt();
    browser = await launchChromium();
    ({ app, url } = await bootSample({ CAPTCHA_CLEARANCE_TTL: '600' }));
  }, 60_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await app?.close();
    await browser?.close();
  });

  it('solves the widget once, then a second protected request passes on the kept HttpOnly cookie', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/`);
    const posts = recordPosts(page, '/auth/signup');

    const first = signUpInPage(page, {
      scriptUrls: ALTCHA_SCRIPT,
      fields: ['provider'],
      email: 'first@example.com',
    });
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    await page.click('altcha-widget label');
    const solved = await first;
    expect(solved.status).toBe(201);
    expect(solved.challenges).toEqual([{ provider: 'altcha' }]);
    expect(solved.body).toMatchObject({ created: true, captcha: { provider: 'altcha' } });

    // The browser holds the cookie, out of the page scripts' reach.
    const cookies = await context.cookies();
    const clearance = cookies.find((cookie) => cookie.name === 'captcha_clearance');
    expect(clearance).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(solved.documentCookie).not.toContain('captcha_clearance');

    const second = await signUpInPage(page, {
      scriptUrls: ALTCHA_SCRIPT,
      fields: ['provider'],
      email: 'second@example.com',
    });
    expect(second.status).toBe(201);
    expect(second.challenges).toEqual([]);
    expect(second.body).toMatchObject({ created: true, captcha: null });
    expect(second.documentCookie).not.toContain('captcha_clearance');
    // No widget, no token: the second request carried only the form (and the cookie).
    expect(posts).toHaveLength(3);
    expect(posts[2]).toEqual({ email: 'second@example.com', password: 'correct-horse' });
  });

  it('asks again in a browser that holds no clearance', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/`);
    const result = signUpInPage(page, {
      scriptUrls: ALTCHA_SCRIPT,
      fields: ['provider'],
      email: 'third@example.com',
    });
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    await page.click('altcha-widget label');
    expect((await result).challenges).toEqual([{ provider: 'altcha' }]);
  });
});
