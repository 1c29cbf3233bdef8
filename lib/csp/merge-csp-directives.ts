// Merging CSP directive sets (yours, helmet's, the widget's) under CSP Level 3 fallbacks.

/**
 * One set of CSP directives as helmet and most CSP tools write them: directive names in
 * kebab-case (`'script-src'`) or camelCase (`scriptSrc`), each with a list of sources (strings,
 * or `V` such as helmet's nonce functions) or a space-separated string. `null`, `undefined` and
 * symbol entries (helmet's `dangerouslyDisableDefaultSrc`) are skipped.
 *
 * @public
 */
export type CspDirectiveSet<V = never> = Readonly<
  Record<string, Iterable<string | V> | string | symbol | null | undefined>
>;

/**
 * Fallback chains of CSP Level 3 fetch directives: where a browser looks when a directive is not
 * set (w3.org/TR/CSP3, "Get the effective directive for request" and the fallback list).
 */
const FALLBACKS: Record<string, readonly string[]> = {
  'script-src-elem': ['script-src', 'default-src'],
  'script-src-attr': ['script-src', 'default-src'],
  'style-src-elem': ['style-src', 'default-src'],
  'style-src-attr': ['style-src', 'default-src'],
  'worker-src': ['child-src', 'script-src', 'default-src'],
  'frame-src': ['child-src', 'default-src'],
  'child-src': ['default-src'],
  'script-src': ['default-src'],
  'style-src': ['default-src'],
  'connect-src': ['default-src'],
  'img-src': ['default-src'],
  'font-src': ['default-src'],
  'media-src': ['default-src'],
  'object-src': ['default-src'],
  'manifest-src': ['default-src'],
};

const NONE = "'none'";

/**
 * Merges CSP directive sets into one, allowing what any of them allows: the sources of each
 * directive are united without duplicates, in first-seen order, with directive names in
 * kebab-case. Functions (helmet's per-request nonce sources) are kept as they are.
 *
 * A set that does not name a fetch directive still governs it through `default-src` (and
 * `child-src` / `script-src` for `frame-src` and `worker-src`), so when another set adds that
 * directive, the sources it inherited are kept: merging `{ 'default-src': ["'self'"] }` with
 * `{ 'connect-src': ['https://challenges.cloudflare.com'] }` gives `connect-src 'self'
 * https://challenges.cloudflare.com`, not a `connect-src` that suddenly blocks your own API.
 * `'none'` is dropped from a directive that ends up with other sources. A fetch directive
 * (`*-src`) left with no source at all is omitted, since an empty list would mean `'none'`;
 * valueless directives such as `upgrade-insecure-requests: []` are kept.
 *
 * @example
 * ```ts
 * mergeCspDirectives(
 *   { defaultSrc: ["'self'"], scriptSrc: ["'self'", (req, res) => `'nonce-${res.locals.nonce}'`] },
 *   captchaCspDirectives('hcaptcha'),
 * );
 * // { 'default-src': ["'self'"], 'script-src': ["'self'", fn, 'https://hcaptcha.com', …],
 * //   'frame-src': ["'self'", 'https://hcaptcha.com', …], 'connect-src': …, 'style-src': … }
 * ```
 *
 * @public
 */
export function mergeCspDirectives<V = never>(
  ...sets: (CspDirectiveSet<V> | undefined)[]
): Record<string, (string | V)[]> {
  const normalized = sets
    .filter((set): set is CspDirectiveSet<V> => set !== undefined && set !== null)
    .map((set) => normalizeSet<V>(set));

  const names: string[] = [];
  for (const set of normalized) {
    for (const name of set.keys()) if (!names.includes(name)) names.push(name);
  }

  const merged: Record<string, (string | V)[]> = {};
  for (const name of names) {
    const sources: (string | V)[] = [];
    for (const set of normalized) {
      for (const source of effectiveSources(set, name)) {
        if (!sources.includes(source)) sources.push(source);
      }
    }
    const withoutNone = sources.length > 1 ? sources.filter((source) => source !== NONE) : sources;
    if (withoutNone.length === 0 && name.endsWith('-src')) continue;
    merged[name] = withoutNone;
  }
  return merged;
}

/** The sources a set applies to `name`: its own list, or the one it falls back to. */
function effectiveSources<V>(set: Map<string, (string | V)[]>, name: string): (string | V)[] {
  const own = set.get(name);
  if (own !== undefined) return own;
  for (const fallback of FALLBACKS[name] ?? []) {
    const inherited = set.get(fallback);
    if (inherited !== undefined) return inherited;
  }
  return [];
}

function normalizeSet<V>(set: CspDirectiveSet<V>): Map<string, (string | V)[]> {
  const result = new Map<string, (string | V)[]>();
  for (const [key, value] of Object.entries(set)) {
    if (value === undefined || value === null || typeof value === 'symbol') continue;
    const name = kebabCase(key);
    const sources: (string | V)[] =
      typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : [...value];
    const list = result.get(name) ?? [];
    for (const source of sources) if (!list.includes(source)) list.push(source);
    result.set(name, list);
  }
  return result;
}

/** `scriptSrc` → `script-src`; kebab-case names are only lower-cased. */
function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`).toLowerCase();
}
