import type { CaptchaProviderName } from '../contracts/captcha-provider-name';

export { type CspDirectiveSet, mergeCspDirectives } from './merge-csp-directives';

/**
 * The CSP directives a CAPTCHA widget may need.
 *
 * @public
 */
export type CaptchaCspDirectiveName =
  'script-src' | 'frame-src' | 'connect-src' | 'worker-src' | 'style-src';

/**
 * The Content-Security-Policy sources a provider's widget needs on the pages that render it, per
 * directive. An empty list means the provider needs nothing there.
 *
 * @public
 */
export type CaptchaCspDirectives = {
  'script-src': string[];
  'frame-src': string[];
  'connect-src': string[];
  'worker-src'?: string[];
  'style-src'?: string[];
};

/**
 * Options of {@link captchaCspDirectives}.
 *
 * @public
 */
export interface CaptchaCspOptions {
  /** A fallback provider whose widget the same pages may render: its sources are added. */
  fallback?: CaptchaProviderName;
  /**
   * Sources to add, e.g. CaptchaLa's loader (its script URL is not documented), the
   * `https://www.recaptcha.net/recaptcha/` mirror, or a Friendly Captcha self-hosted endpoint.
   */
  extra?: Partial<Record<CaptchaCspDirectiveName, readonly string[]>>;
  /**
   * The Friendly Captcha SDK is bundled and served from your own origin instead of jsDelivr:
   * `'self'` replaces the CDN in `script-src`. Other providers' scripts cannot be self-hosted
   * (ALTCHA's always is).
   */
  selfHostedScripts?: boolean;
}

const SELF = "'self'";
const BLOB = 'blob:';

const TURNSTILE_ORIGIN = 'https://challenges.cloudflare.com';
const RECAPTCHA_DIRECTIVES = {
  'script-src': ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'],
  'frame-src': ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'],
  'connect-src': [],
} as const;
const HCAPTCHA_SOURCES = ['https://hcaptcha.com', 'https://*.hcaptcha.com'] as const;
const FRIENDLY_CAPTCHA_CDN = 'https://cdn.jsdelivr.net/npm/@friendlycaptcha/';

/**
 * What each provider's widget loads, from the providers' own CSP guidance. Host sources are kept as
 * narrow as the guidance allows (reCAPTCHA and jsDelivr by path: a whole CDN host would let any
 * package on it run as your page).
 */
const PROVIDER_DIRECTIVES: Record<
  CaptchaProviderName,
  (options: CaptchaCspOptions) => CaptchaCspDirectives
> = {
  // Cloudflare, "Turnstile > Reference > Content Security Policy"
  // (developers.cloudflare.com/turnstile/reference/content-security-policy): script-src and
  // frame-src https://challenges.cloudflare.com (or a nonce on the api.js tag, which also works
  // with 'strict-dynamic'). That page lists no connect-src for the widget; the origin is added
  // there too so a strict connect-src never blocks api.js talking to its own origin. Pre-clearance
  // mode also needs connect-src 'self' (same page), which a base policy normally has.
  turnstile: () => ({
    'script-src': [TURNSTILE_ORIGIN],
    'frame-src': [TURNSTILE_ORIGIN],
    'connect-src': [TURNSTILE_ORIGIN],
  }),
  // Google reCAPTCHA FAQ (https://developers.google.com/recaptcha/docs/faq), "I'm using
  // Content-Security-Policy (CSP) on my website. How can I configure it to work with reCAPTCHA?":
  // script-src https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/, frame-src
  // https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/ (Google prefers a
  // nonce-based CSP3 policy). No connect-src is listed. Sites using the www.recaptcha.net mirror
  // add https://www.recaptcha.net/recaptcha/ through `extra`.
  recaptcha: () => copy(RECAPTCHA_DIRECTIVES),
  // Google Cloud reCAPTCHA FAQ (https://cloud.google.com/recaptcha/docs/faq) gives the same lists;
  // enterprise.js is served from https://www.google.com/recaptcha/ as well.
  'recaptcha-enterprise': () => copy(RECAPTCHA_DIRECTIVES),
  // hCaptcha docs, "Content Security Policy Settings" (docs.hcaptcha.com): script-src, frame-src,
  // style-src and connect-src https://hcaptcha.com https://*.hcaptcha.com; the docs ask not to
  // hard-code single subdomains (js.hcaptcha.com, api.hcaptcha.com, … change).
  hcaptcha: () => ({
    'script-src': [...HCAPTCHA_SOURCES],
    'frame-src': [...HCAPTCHA_SOURCES],
    'connect-src': [...HCAPTCHA_SOURCES],
    'style-src': [...HCAPTCHA_SOURCES],
  }),
  // Friendly Captcha v2's CSP guide (https://developer.friendlycaptcha.com) asks for frame-src
  // *.frcapi.com; the SDK script comes from jsDelivr
  // (https://cdn.jsdelivr.net/npm/@friendlycaptcha/sdk@…/site.min.js) or your own bundle; the
  // widget calls global.frcapi.com, or eu.frcapi.com with the EU endpoint (its self-hosted
  // endpoint guide); worker-src blob: for the proof-of-work solver (its v1 CSP guide:
  // "worker-src blob:; child-src blob:"). A self-hosted endpoint is your own origin: add it
  // through `extra`.
  'friendly-captcha': (options) => ({
    'script-src': [options.selfHostedScripts ? SELF : FRIENDLY_CAPTCHA_CDN],
    'frame-src': ['https://*.frcapi.com'],
    'connect-src': ['https://global.frcapi.com', 'https://eu.frcapi.com'],
    'worker-src': [BLOB],
  }),
  // ALTCHA is self-hosted: the `altcha` widget script is served by your app, which also serves the
  // challenges (GET /captcha/challenge) and receives the solutions. The default bundle of the
  // `altcha` 3.x widget (dist/main) starts its solver workers from blob: URLs; the dist/external
  // build loads them from files on your origin (package README, "Content Security Policy").
  // Styles: the default bundle injects a <style> element carrying the nonce of its script tag or
  // of <meta name="csp-nonce">; without a nonce, style-src needs 'unsafe-inline' (not added here:
  // prefer the nonce, or dist/external with altcha.css).
  altcha: () => ({
    'script-src': [SELF],
    'frame-src': [],
    'connect-src': [SELF],
    'worker-src': [SELF, BLOB],
  }),
  // CaptchaLa's client script URL is not documented: nothing is known to add.
  // Pass the loader's origin through `extra`, e.g. { 'script-src': ['https://…'] }.
  captchala: () => ({ 'script-src': [], 'frame-src': [], 'connect-src': [] }),
};

/**
 * The Content-Security-Policy sources the widget of `provider` needs, on the pages that render it:
 * `script-src`, `frame-src` and `connect-src`, plus `worker-src` and `style-src` where the provider
 * needs them. With `fallback`, the sources of the fallback provider's widget are added; `extra`
 * adds your own. Lists hold no duplicates.
 *
 * These are additions to your own policy, not a policy: merge them into it with
 * {@link mergeCspDirectives}, which also keeps what `default-src` allowed for directives your
 * policy did not set. A `script-src` with `'strict-dynamic'` ignores host sources: give the
 * widget's script tag your nonce instead.
 *
 * | provider | script-src | frame-src | connect-src | other |
 * |---|---|---|---|---|
 * | `turnstile` | challenges.cloudflare.com | same | same | |
 * | `recaptcha`, `recaptcha-enterprise` | www.google.com/recaptcha/, www.gstatic.com/recaptcha/ | www.google.com/recaptcha/, recaptcha.google.com/recaptcha/ | | |
 * | `hcaptcha` | hcaptcha.com, *.hcaptcha.com | same | same | style-src: same |
 * | `friendly-captcha` | cdn.jsdelivr.net/npm/@friendlycaptcha/ (or `'self'`) | *.frcapi.com | global.frcapi.com, eu.frcapi.com | worker-src: blob: |
 * | `altcha` | `'self'` | | `'self'` | worker-src: `'self'` blob: |
 * | `captchala` | unknown: pass `extra` | | | |
 *
 * @example
 * ```ts
 * import helmet from 'helmet';
 * import { captchaCspDirectives, mergeCspDirectives } from 'nestjs-captcha';
 *
 * app.use(
 *   helmet({
 *     contentSecurityPolicy: {
 *       // helmet replaces a default directive by yours: merge its defaults in, or lose 'self'.
 *       useDefaults: false,
 *       directives: mergeCspDirectives(
 *         helmet.contentSecurityPolicy.getDefaultDirectives(),
 *         captchaCspDirectives('turnstile', { fallback: 'altcha' }),
 *       ),
 *     },
 *   }),
 * );
 * ```
 *
 * @public
 */
export function captchaCspDirectives(
  provider: CaptchaProviderName,
  options: CaptchaCspOptions = {},
): CaptchaCspDirectives {
  const sets: Partial<Record<CaptchaCspDirectiveName, readonly string[]>>[] = [
    directivesOf(provider, options),
  ];
  if (options.fallback !== undefined && options.fallback !== provider) {
    sets.push(directivesOf(options.fallback, options));
  }
  if (options.extra) sets.push(options.extra);

  const result: CaptchaCspDirectives = { 'script-src': [], 'frame-src': [], 'connect-src': [] };
  for (const set of sets) {
    for (const [name, sources] of Object.entries(set) as [
      CaptchaCspDirectiveName,
      readonly string[] | undefined,
    ][]) {
      if (sources === undefined) continue;
      const list = (result[name] ??= []);
      for (const source of sources) {
        if (!list.includes(source)) list.push(source);
      }
    }
  }
  return result;
}

function directivesOf(
  provider: CaptchaProviderName,
  options: CaptchaCspOptions,
): CaptchaCspDirectives {
  const build = Object.prototype.hasOwnProperty.call(PROVIDER_DIRECTIVES, provider)
    ? PROVIDER_DIRECTIVES[provider]
    : undefined;
  if (!build) throw new TypeError(`Unknown CAPTCHA provider: ${String(provider)}`);
  return build(options);
}

function copy(directives: typeof RECAPTCHA_DIRECTIVES): CaptchaCspDirectives {
  return {
    'script-src': [...directives['script-src']],
    'frame-src': [...directives['frame-src']],
    'connect-src': [...directives['connect-src']],
  };
}
