/**
 * The sample's sign-in page over HTTP: the whole page in the language its CAPTCHA messages come
 * in (from Accept-Language), and a Content-Security-Policy with no source the page does not use.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { AppModule } from '../../sample/app.module';
import { LOGIN_TEXTS } from '../../sample/login/login-texts';
import { ADAPTERS, startApp, type HttpAdapterName } from '../support/create-app';

const VARIABLES = [
  'CAPTCHA_PROVIDER',
  'CAPTCHA_SITE_KEY',
  'CAPTCHA_SECRET_KEY',
  'CAPTCHA_VERIFY_URL',
  'CAPTCHA_STORE',
  'CAPTCHA_REDIS_URL',
  'SAMPLE_WIDGET_SCRIPT_URL',
];

async function bootSample(
  adapter: HttpAdapterName,
  env: Record<string, string> = {},
): Promise<INestApplication> {
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    return await startApp(moduleRef, adapter);
  } finally {
    for (const name of VARIABLES) delete process.env[name];
  }
}

/** The policy as a map of directive → sources. */
function parseCsp(header: string): Record<string, string[]> {
  return Object.fromEntries(
    header.split(';').map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

/** The JSON data block the page's script reads. */
function pageData(html: string): { language: string; texts: Record<string, string> } {
  const match = /<script id="captcha-config" type="application\/json">(.*?)<\/script>/s.exec(html);
  if (!match) throw new Error('no #captcha-config block');
  return JSON.parse(match[1]);
}

describe.each(ADAPTERS)('%s: the sample sign-in page', (adapter) => {
  describe('on the defaults (ALTCHA)', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await bootSample(adapter);
    });
    afterAll(async () => {
      await app.close();
    });

    it.each([
      ['de-DE,de;q=0.9,en;q=0.5', 'de'],
      ['fr', 'fr'],
      ['pt-BR', 'pt'],
      ['ja', 'ja'],
      ['it, en;q=0.1', 'en'],
      [undefined, 'en'],
    ])(
      'Accept-Language %s: the whole page in %s, with lang on <html>',
      async (accept, language) => {
        const req = request(app.getHttpServer()).get('/');
        const res = await (accept ? req.set('Accept-Language', accept) : req).expect(200);
        const texts = LOGIN_TEXTS[language];
        expect(res.headers['content-language']).toBe(language);
        expect(res.headers.vary).toMatch(/accept-language/i);
        expect(res.text).toContain(`<html lang="${language}">`);
        expect(res.text).toContain(`<title>${texts.title}</title>`);
        expect(res.text).toContain(`<h1>${texts.heading}</h1>`);
        expect(res.text).toContain(`<label for="password">${texts.password}</label>`);
        expect(res.text).toContain(`<button id="submit" type="submit">${texts.submit}</button>`);
        expect(res.text).toContain(`>${texts.retry}</button>`);
        // The one part that stays English (a failure's technical detail) says so.
        expect(res.text).toContain('<p id="status-detail" lang="en" hidden></p>');
        // The texts the script shows (errors, success) travel with the page, in its language.
        expect(pageData(res.text)).toMatchObject({ language, texts });
      },
    );

    it('answers with a policy that allows only what the page loads', async () => {
      const res = await request(app.getHttpServer()).get('/').expect(200);
      expect(parseCsp(res.headers['content-security-policy'])).toEqual({
        'default-src': ["'none'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'connect-src': ["'self'"],
        'img-src': ['data:'],
        'base-uri': ["'none'"],
        // The script posts JSON; without it the form must not send the password in a URL.
        'form-action': ["'none'"],
        'frame-ancestors': ["'none'"],
        // altcha's dist/external build starts its workers from files here: no blob:.
        'worker-src': ["'self'"],
        'frame-src': ["'none'"],
      });
    });

    it("serves the browser client's modules (every import the entry makes), and nothing beside them", async () => {
      // Built by `npm run build` (npm test's pretest).
      const server = app.getHttpServer();
      const entry = await request(server).get('/assets/nestjs-captcha/client/index.js').expect(200);
      expect(entry.headers['content-type']).toMatch(/^text\/javascript/);
      expect(entry.text).toContain('captchaFetch');
      const seen = new Set<string>();
      const pending = ['/assets/nestjs-captcha/client/index.js'];
      while (pending.length > 0) {
        const path = pending.pop() as string;
        if (seen.has(path)) continue;
        seen.add(path);
        const res = await request(server).get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        for (const [, specifier] of res.text.matchAll(/\bfrom\s+'([^']+)'/g)) {
          pending.push(new URL(specifier, `http://page${path}`).pathname);
        }
      }
      // The entry, its modules, the renderers and the contracts they import.
      expect([...seen].some((path) => path.includes('/renderers/'))).toBe(true);
      expect([...seen].some((path) => path.startsWith('/assets/nestjs-captcha/contracts/'))).toBe(
        true,
      );
      for (const path of [
        '/assets/nestjs-captcha/client/..%2F..%2F..%2Fpackage.json',
        '/assets/nestjs-captcha/client/%2E%2E%2Fclient%2Findex.js',
        '/assets/nestjs-captcha/lib/index.js',
        '/assets/nestjs-captcha/client/index.d.ts',
        '/assets/nestjs-captcha/contracts/..%2F..%2Flib%2Findex.js',
        '/assets/nestjs-captcha/client/renderers/missing.renderer.js',
      ]) {
        const res = await request(server).get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
    });
  });

  describe('with Turnstile and a widget script served from elsewhere', () => {
    let app: INestApplication;
    let fake: FakeCaptchaServer;
    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      app = await bootSample(adapter, {
        CAPTCHA_PROVIDER: 'turnstile',
        CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.turnstile,
        CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile,
        CAPTCHA_VERIFY_URL: fake.verifyUrl('turnstile'),
        SAMPLE_WIDGET_SCRIPT_URL: fake.widgetScriptUrl('turnstile'),
      });
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    it("adds Turnstile's sources and the script's origin for its script and calls, no frames from it", async () => {
      const res = await request(app.getHttpServer()).get('/').expect(200);
      const csp = parseCsp(res.headers['content-security-policy']);
      const origin = new URL(fake.widgetScriptUrl('turnstile')).origin;
      expect(csp['script-src']).toEqual(["'self'", 'https://challenges.cloudflare.com', origin]);
      expect(csp['connect-src']).toEqual(["'self'", 'https://challenges.cloudflare.com', origin]);
      expect(csp['frame-src']).toEqual(['https://challenges.cloudflare.com']);
      expect(csp['default-src']).toEqual(["'none'"]);
      expect(csp['worker-src']).toBeUndefined();
    });
  });
});
