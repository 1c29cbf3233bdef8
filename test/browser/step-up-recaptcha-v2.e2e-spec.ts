/**
 * reCAPTCHA v3 → v2 checkbox in Chromium: the sample app with reCAPTCHA v3 (the fake's widget
 * script handing out low-scored tokens) and `CAPTCHA_STEP_UP_PROVIDER=recaptcha-v2` with the
 * fake's v2 checkbox keys. `captchaFetch` runs v3's invisible check, meets the step-up answer,
 * renders the reCAPTCHA checkbox with the v2 site key, waits for the user's click, and retries
 * once stating `recaptcha-v2`.
 */
import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { stepUpProfileFor } from '../support/step-up-profile';
import {
  bootSample,
  ensureClientBuilt,
  failThreeTimes,
  launchChromium,
  recordPosts,
  signIn,
  signUpInPage,
  statusText,
} from './browser-harness';

const V2 = FakeCaptchaServer.recaptchaV2Keys;

describe('step-up from reCAPTCHA v3 to the v2 checkbox in Chromium', () => {
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
    // execute() (v3) hands out 0.1 by itself; a rendered checkbox waits for a click.
    const widget = fake.widgetScriptUrl('recaptcha', { score: 0.1, interactive: true });
    scriptUrls = { recaptcha: widget };
    ({ app, url } = await bootSample({
      CAPTCHA_PROVIDER: 'recaptcha',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.recaptcha,
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.recaptcha,
      CAPTCHA_VERIFY_URL: fake.verifyUrl('recaptcha'),
      SAMPLE_WIDGET_SCRIPT_URL: widget,
      CAPTCHA_STEP_UP_PROVIDER: 'recaptcha-v2',
      CAPTCHA_STEP_UP_SITE_KEY: V2.siteKey,
      CAPTCHA_STEP_UP_SECRET_KEY: V2.secret,
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

  async function open(): Promise<Page> {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/`);
    return page;
  }

  /** The site keys the fake widget asked tokens for, in order. */
  function recordWidgetTokens(page: Page): string[] {
    const siteKeys: string[] = [];
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/__widget/token') {
        siteKeys.push((request.postDataJSON() as { sitekey: string }).sitekey);
      }
    });
    return siteKeys;
  }

  it('invisible v3 check → step_up → the v2 checkbox, clicked → one retry as recaptcha-v2 → 201', async () => {
    const page = await open();
    const posts = recordPosts(page, '/auth/signup');
    const widgetTokens = recordWidgetTokens(page);
    const result = signUpInPage(page, {
      scriptUrls,
      recaptchaMode: 'score',
      fields: ['provider', 'siteKey', 'stepUp', 'recaptchaMode', 'answerAs'],
    });

    // The checkbox shows and waits for the user; nothing is sent until it is clicked.
    const checkbox = page.locator(
      '#captcha-widget .fake-captcha-widget[data-fake-provider="recaptcha"]',
    );
    await checkbox.waitFor({ state: 'visible' });
    await page.locator('#captcha-widget .fake-captcha-widget button').waitFor({ state: 'visible' });
    expect(posts).toHaveLength(2);
    await page.click('#captcha-widget .fake-captcha-widget button');
    const done = await result;

    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ created: true, captcha: { provider: 'recaptcha-v2' } });
    expect(done.challenges).toEqual([
      {
        provider: 'recaptcha',
        siteKey: FakeCaptchaServer.siteKeys.recaptcha,
        stepUp: false,
        recaptchaMode: null,
        answerAs: 'recaptcha',
      },
      {
        provider: 'recaptcha',
        siteKey: V2.siteKey,
        stepUp: true,
        recaptchaMode: 'checkbox',
        answerAs: 'recaptcha-v2',
      },
    ]);
    // v3's execute() asked with the v3 site key, the checkbox with the v2 one.
    expect(widgetTokens).toEqual([FakeCaptchaServer.siteKeys.recaptcha, V2.siteKey]);
    // The bare request, the low-scored v3 token, then the checkbox's token stated as recaptcha-v2.
    expect(posts).toHaveLength(3);
    expect((posts[1].captcha as { provider: string }).provider).toBe('recaptcha');
    const last = posts[2].captcha as { provider: string; token: string };
    expect(last.provider).toBe('recaptcha-v2');
    expect(last.token).not.toBe((posts[1].captcha as { token: string }).token);
  });

  it('refuses the checkbox answer restated as recaptcha (the v3 keys cannot verify it)', async () => {
    const page = await open();
    // An older client would state `recaptcha`: the primary's secret refuses the v2 token.
    await page.route('**/auth/signup', async (route) => {
      const body = route.request().postDataJSON() as {
        captcha?: { provider: string; token: string };
      };
      if (body.captcha?.provider !== 'recaptcha-v2') return route.continue();
      await route.continue({
        postData: JSON.stringify({ ...body, captcha: { ...body.captcha, provider: 'recaptcha' } }),
      });
    });
    const result = signUpInPage(page, {
      scriptUrls,
      recaptchaMode: 'score',
      fields: ['provider', 'siteKey', 'stepUp', 'recaptchaMode', 'answerAs'],
    });
    await page.locator('#captcha-widget .fake-captcha-widget button').waitFor({ state: 'visible' });
    await page.click('#captcha-widget .fake-captcha-widget button');
    const done = await result;

    expect(done.status).toBe(403);
    expect(done.body).toMatchObject({ error: 'captcha_invalid', details: { reason: 'invalid' } });
    expect(done.challenges.map((c) => c.stepUp)).toEqual([false, true]);
  });
});

describe('the sample page on its step-up profile (sample/step-up.env) in Chromium', () => {
  let browser: Browser;
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  let url: string;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    ensureClientBuilt();
    browser = await launchChromium();
    fake = await FakeCaptchaServer.start();
    ({ app, url } = await bootSample(stepUpProfileFor(fake)));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await app?.close();
    await browser?.close();
    await fake?.close();
  });

  it('three wrong passwords, then the page’s own v3 check scores low and swaps in the checkbox', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/`);
    const posts = recordPosts(page, '/auth/login');
    await failThreeTimes(page);

    await signIn(page, 'correct-horse');
    // The invisible check ran (no click), scored 0.1: the checkbox shows, waiting for the user.
    const button = page.locator('#captcha-widget .fake-captcha-widget button');
    await button.waitFor({ state: 'visible' });
    expect(await page.getAttribute('#captcha', 'data-reason')).toBe('score_too_low');
    await button.click();

    expect(await statusText(page)).toBe('Signed in as demo@example.com.');
    const stated = posts.map(
      (body) => (body.captcha as { provider?: string } | undefined)?.provider,
    );
    // 3 wrong, the bare 4th, the v3 token, the checkbox's token.
    expect(stated).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'recaptcha',
      'recaptcha-v2',
    ]);
  });
});
