/**
 * Step-up in Chromium: the sample app with reCAPTCHA v3 (the fake's widget script handing out
 * low-scored tokens) and `CAPTCHA_STEP_UP_PROVIDER=altcha`. `captchaFetch` runs the invisible
 * check, meets the step-up answer, swaps to the ALTCHA widget, retries once and signs up.
 */
import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import {
  bootSample,
  ensureClientBuilt,
  launchChromium,
  recordPosts,
  signUpInPage,
} from './browser-harness';

describe('step-up in Chromium', () => {
  let browser: Browser;
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  let url: string;
  let context: BrowserContext | undefined;
  let scriptUrls: Record<string, string>;

  beforeAll(async () => {
    ensureClientBuilt();
    browser = await launchChromium();
    fake = await FakeCaptchaServer.start();
    const lowScore = fake.widgetScriptUrl('recaptcha', { score: 0.1 });
    scriptUrls = { recaptcha: lowScore, altcha: '/assets/altcha-widget.js' };
    ({ app, url } = await bootSample({
      CAPTCHA_PROVIDER: 'recaptcha',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.recaptcha,
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.recaptcha,
      CAPTCHA_VERIFY_URL: fake.verifyUrl('recaptcha'),
      SAMPLE_WIDGET_SCRIPT_URL: lowScore,
      CAPTCHA_STEP_UP_PROVIDER: 'altcha',
    }));
  }, 60_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await app?.close();
    await browser?.close();
    await fake?.close();
  });

  /** Signs up in the page and, as the user, ticks the ALTCHA widget the step-up swaps in. */
  async function signUpSolvingStepUp(page: Page) {
    const result = signUpInPage(page, {
      scriptUrls,
      recaptchaMode: 'score',
      fields: ['code', 'provider', 'reason', 'stepUp'],
    });
    const widget = page.locator('#captcha-widget altcha-widget');
    await widget.waitFor({ state: 'visible' });
    await page.click('altcha-widget label');
    return result;
  }

  async function open(): Promise<Page> {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/`);
    return page;
  }

  it('invisible check → step_up → the ALTCHA widget instead → one retry → 201', async () => {
    const page = await open();
    const posts = recordPosts(page, '/auth/signup');
    const result = await signUpSolvingStepUp(page);

    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ created: true });
    expect(result.challenges).toEqual([
      { code: 'captcha_required', provider: 'recaptcha', reason: null, stepUp: false },
      { code: 'captcha_required', provider: 'altcha', reason: 'score_too_low', stepUp: true },
    ]);
    // The bare request, the low-scored v3 token, then the ALTCHA solution stated as such.
    expect(posts).toHaveLength(3);
    expect((posts[1].captcha as { provider: string }).provider).toBe('recaptcha');
    const last = posts[2].captcha as { provider: string; token: string };
    expect(last.provider).toBe('altcha');
    expect(last.token.length).toBeGreaterThan(20);
  });

  it('retries a step-up once and returns its refusal rather than looping', async () => {
    const page = await open();
    const posts = recordPosts(page, '/auth/signup');
    // The step-up's answer is spoiled on its way out: the server refuses it (grant spent).
    await page.route('**/auth/signup', async (route) => {
      const body = route.request().postDataJSON() as { captcha?: { provider: string } };
      if (body.captcha?.provider !== 'altcha') return route.continue();
      await route.continue({
        postData: JSON.stringify({ ...body, captcha: { provider: 'altcha', token: 'spoiled' } }),
      });
    });
    const result = await signUpSolvingStepUp(page);

    expect(result.status).toBe(403);
    expect(result.body).toMatchObject({ error: 'captcha_invalid' });
    expect(result.challenges.map((c) => c.provider)).toEqual(['recaptcha', 'altcha']);
    expect(posts).toHaveLength(3);
  });
});
