/**
 * Clearance in Chromium: the sample app (ALTCHA) with `CAPTCHA_CLEARANCE_TTL` set. The user solves
 * the widget once through `captchaFetch`; the browser keeps the HttpOnly `captcha_clearance`
 * cookie the answer set (page scripts cannot read it) and sends it with the next protected
 * request, which passes without a widget.
 */
import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bootSample, ensureClientBuilt, launchChromium, recordPosts } from './browser-harness';

interface InPageResult {
  status: number;
  body: Record<string, unknown>;
  challenges: string[];
  /** What page scripts see of the cookies after the call. */
  documentCookie: string;
}

/** Signs up with `captchaFetch` inside the page, recording the challenges it meets. */
function signUpInPage(page: Page, email: string): Promise<InPageResult> {
  // A string, not a function: ts-jest would compile a function's `import()` into `require`.
  const args = JSON.stringify({ email });
  return page.evaluate(`(async () => {
    const { email } = ${args};
    const client = await import('/assets/nestjs-captcha/client/index.js');
    const challenges = [];
    const response = await client.captchaFetch(
      '/auth/signup',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'correct-horse' }),
      },
      {
        scriptUrls: { altcha: '/assets/altcha-widget.js' },
        container: '#captcha-widget',
        onChallenge: (c) => {
          document.getElementById('captcha').hidden = false;
          challenges.push(c.provider);
        },
      },
    );
    return {
      status: response.status,
      body: await response.json(),
      challenges,
      documentCookie: document.cookie,
    };
  })()`) as Promise<InPageResult>;
}

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

    const first = signUpInPage(page, 'first@example.com');
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    await page.click('altcha-widget label');
    const solved = await first;
    expect(solved.status).toBe(201);
    expect(solved.challenges).toEqual(['altcha']);
    expect(solved.body).toMatchObject({ created: true, captcha: { provider: 'altcha' } });

    // The browser holds the cookie, out of the page scripts' reach.
    const cookies = await context.cookies();
    const clearance = cookies.find((cookie) => cookie.name === 'captcha_clearance');
    expect(clearance).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(solved.documentCookie).not.toContain('captcha_clearance');

    const second = await signUpInPage(page, 'second@example.com');
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
    const result = signUpInPage(page, 'third@example.com');
    await page.locator('#captcha-widget altcha-widget').waitFor({ state: 'visible' });
    await page.click('altcha-widget label');
    expect((await result).challenges).toEqual(['altcha']);
  });
});
