/* global document, navigator, Worker */
// The ALTCHA widget for the sign-in page, loaded by nestjs-captcha/client when the API asks for
// ALTCHA (scriptUrls.altcha). It is the `altcha` package's dist/external build: no inline
// styles and no blob: workers, so the page's CSP stays strict; the stylesheet, the
// proof-of-work workers and the translations come from this origin.

// The widget's texts in the page's language (`lang` on <html>, which the server chose from
// Accept-Language as it chooses the API's messages; English is built in). Loaded first: the widget element is defined only after, so the client
// (which waits for the element's definition) never renders it in the wrong language.
const TRANSLATIONS = {
  de: 'de',
  es: 'es-es',
  fr: 'fr-fr',
  pt: 'pt-pt',
  ja: 'ja',
  zh: 'zh-cn',
  ru: 'ru',
};
const pageLanguage = document.documentElement.lang.toLowerCase() || 'en';
// Portuguese: Brazilian when the browser prefers it.
const brazilian = (navigator.languages ?? [navigator.language]).some(
  (tag) => tag.toLowerCase() === 'pt-br',
);
const language =
  pageLanguage === 'pt' && brazilian
    ? 'pt-br'
    : pageLanguage.startsWith('en')
      ? 'en'
      : TRANSLATIONS[pageLanguage.split('-')[0]];
if (language && language !== 'en') await import(`/assets/altcha/i18n/${language}.js`);

await import('/assets/altcha/altcha.js');
if (language) globalThis.$altcha.defaults.set({ language });

const WORKERS = {
  'SHA-256': 'sha',
  'SHA-384': 'sha',
  'SHA-512': 'sha',
  'PBKDF2/SHA-256': 'pbkdf2',
  'PBKDF2/SHA-384': 'pbkdf2',
  'PBKDF2/SHA-512': 'pbkdf2',
};
for (const [algorithm, file] of Object.entries(WORKERS)) {
  globalThis.$altcha.algorithms.set(
    algorithm,
    () => new Worker(`/assets/altcha/workers/${file}.js`),
  );
}

if (!document.querySelector('link[data-altcha-css]')) {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/assets/altcha/altcha.css';
  link.dataset.altchaCss = '';
  document.head.appendChild(link);
}
