import { Controller, Get, Headers, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CAPTCHA_OPTIONS, CaptchaVerifier } from 'nestjs-captcha';
import { loginPageCsp, loginPageHtml, type LoginPageConfig } from './login-page';
import { LOGIN_TEXTS, loginLanguage } from './login-texts';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * The client's files: `client/…` and `contracts/…` modules, one folder deep at most; no dot
 * segments, so a request cannot leave the client's folder.
 */
const CLIENT_FILE = /^(client|contracts)\/(renderers\/)?[a-z0-9-]+(\.[a-z0-9-]+)*\.js$/;

/** The folder `nestjs-captcha/client` is built into: its entry is `client/index.js` there. */
function clientRoot(): string {
  return dirname(dirname(require.resolve('nestjs-captcha/client')));
}

/** The page's own files (sample/login/public, copied to dist/sample/login/public by the build). */
const PUBLIC_FILES: Record<string, string> = {
  'login.js': JS,
  'login.css': CSS,
  'altcha-widget.js': JS,
};

/**
 * Files of the `altcha` package (3.x) the page loads when the API asks for ALTCHA: the widget's
 * `dist/external` build (no inline styles, no blob: workers, so the page's CSP stays strict), its
 * stylesheet, the proof-of-work workers it starts from files on this origin, and its translations.
 */
const ALTCHA_FILES: Record<string, [path: string, type: string]> = {
  'altcha.js': ['external/altcha.min.js', JS],
  'altcha.css': ['external/altcha.css', CSS],
  'sha.js': ['workers/sha.js', JS],
  'pbkdf2.js': ['workers/pbkdf2.js', JS],
  // The widget's own texts in the languages the API's messages come in (English is built in).
  ...Object.fromEntries(
    ['de', 'es-es', 'fr-fr', 'pt-pt', 'pt-br', 'ja', 'zh-cn', 'ru'].map((language) => [
      `${language}.js`,
      [`i18n/${language}.js`, JS] as [string, string],
    ]),
  ),
};

/**
 * `GET /`: the sign-in page, built on `nestjs-captcha/client`. No CDN and no inline script: the
 * page, its script, the client module and the ALTCHA widget are all served from here, under a
 * Content-Security-Policy made with `captchaCspDirectives()`.
 *
 * `SAMPLE_WIDGET_SCRIPT_URL` (sample only) loads the configured provider's widget script from
 * another URL than the provider's (a mirror, or `FakeCaptchaServer.widgetScriptUrl()` in tests);
 * its origin is added to the policy.
 */
@Controller()
export class LoginPageController {
  private readonly cache = new Map<string, Promise<string>>();
  /** The page per language. */
  private readonly html = new Map<string, string>();
  private readonly csp: string;

  constructor(
    captcha: CaptchaVerifier,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(CAPTCHA_OPTIONS) options: { stepUp?: unknown },
  ) {
    const provider = captcha.providerName;
    const override = process.env.SAMPLE_WIDGET_SCRIPT_URL;
    const config: LoginPageConfig = {
      scriptUrls: {
        altcha: '/assets/altcha-widget.js',
        ...(override && provider !== 'altcha' ? { [provider]: override } : {}),
      },
      // reCAPTCHA with a step-up (sample/step-up.env): v3 keys, so the invisible check runs first
      // and a low score steps up to the interactive widget.
      ...(provider === 'recaptcha' && options.stepUp !== undefined && { recaptchaMode: 'score' }),
    };
    for (const language of Object.keys(LOGIN_TEXTS)) {
      this.html.set(language, loginPageHtml(config, language));
    }
    this.csp = loginPageCsp(provider, config);
  }

  /** The page in the language its CAPTCHA messages will come in (from `Accept-Language`). */
  @Get()
  page(
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) response: unknown,
  ): string {
    const language = loginLanguage(acceptLanguage);
    this.headers(response, 'text/html; charset=utf-8', {
      'Content-Security-Policy': this.csp,
      'Content-Language': language,
      Vary: 'Accept-Language',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
    return this.html.get(language) as string;
  }

  /**
   * The browser client, `nestjs-captcha/client`: its ES modules and the shared contracts they
   * import, from the folder the package builds them into (dist/client after `npm run build`),
   * under the same relative paths, so the modules' own imports resolve here.
   * `/assets/nestjs-captcha/client/index.js` is the entry point.
   */
  @Get(['assets/nestjs-captcha/:folder/:file', 'assets/nestjs-captcha/:folder/:subfolder/:file'])
  client(
    @Param('folder') folder: string,
    @Param('subfolder') subfolder: string | undefined,
    @Param('file') file: string,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<string> {
    const path = [folder, subfolder, file].filter((part) => part !== undefined).join('/');
    if (!CLIENT_FILE.test(path)) throw new NotFoundException();
    this.headers(response, JS);
    return this.read(`client/${path}`, () => join(clientRoot(), path));
  }

  @Get(['assets/altcha/:file', 'assets/altcha/workers/:file', 'assets/altcha/i18n/:file'])
  altcha(@Param('file') file: string, @Res({ passthrough: true }) response: unknown) {
    const entry = own(ALTCHA_FILES, file);
    if (!entry) throw new NotFoundException();
    this.headers(response, entry[1]);
    return this.read(`altcha/${file}`, () => join(altchaDist(), entry[0]));
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res({ passthrough: true }) response: unknown) {
    const type = own(PUBLIC_FILES, file);
    if (!type) throw new NotFoundException();
    this.headers(response, type);
    return this.read(file, () => join(__dirname, 'public', file));
  }

  private headers(response: unknown, type: string, extra: Record<string, string> = {}): void {
    const { httpAdapter } = this.adapterHost;
    for (const [name, value] of Object.entries({
      'Content-Type': type,
      'X-Content-Type-Options': 'nosniff',
      ...extra,
    })) {
      httpAdapter.setHeader(response, name, value);
    }
  }

  /** Reads a file once; a missing one is a 404 naming what to do. */
  private read(key: string, locate: () => string): Promise<string> {
    let text = this.cache.get(key);
    if (!text) {
      text = Promise.resolve()
        .then(() => readFile(locate(), 'utf8'))
        .catch((error: Error) => {
          this.cache.delete(key);
          throw new NotFoundException(
            `${key} is not available (${error.message}): run "npm run build" (and "npm i -D altcha" for the ALTCHA widget)`,
          );
        });
      this.cache.set(key, text);
    }
    return text;
  }
}

/** The `dist` folder of the installed `altcha` package. */
function altchaDist(): string {
  // `require` resolves altcha's CommonJS build, dist/main/altcha.umd.cjs.
  return join(dirname(require.resolve('altcha')), '..');
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
