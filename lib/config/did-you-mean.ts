/**
 * Levenshtein distance between `a` and `b` (insertions, deletions and substitutions, each 1),
 * with an adjacent swap also counting 1 (`trunstile` is one edit from `turnstile`).
 * @internal
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name `value` most likely meant, or `undefined` when none is close: compared without
 * case and treating `-`, `_` and spaces alike; close means at most 40 % of the longer name's
 * length in edits (at least 1), or one name being the other plus a `-`/`_` part
 * (`REDIS` → `REDIS_URL`, `HMAC_KEY` → `ALTCHA_HMAC_KEY`). `aliases` maps other common names (lower case) to a
 * known one, e.g. `cloudflare` → `turnstile`.
 *
 * @example
 * ```ts
 * didYouMean('turnstil', ['turnstile', 'recaptcha']); // 'turnstile'
 * didYouMean('foo', ['turnstile', 'recaptcha']);      // undefined
 * ```
 * @internal
 */
export function didYouMean(
  value: string,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const fold = (text: string) =>
    text
      .trim()
      .toLowerCase()
      .replace(/[-_\s]+/g, '-');
  const given = fold(value);
  if (given === '') return undefined;
  const alias = aliases[given];
  if (alias !== undefined && known.includes(alias)) return alias;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const candidate = fold(name);
    const distance = editDistance(given, candidate);
    const longest = Math.max(given.length, candidate.length);
    const close =
      distance <= Math.max(1, Math.floor(longest * 0.4)) ||
      candidate.startsWith(`${given}-`) ||
      candidate.endsWith(`-${given}`) ||
      given.startsWith(`${candidate}-`);
    if (close && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** ` (did you mean "x"?)`, or an empty string without a suggestion. @internal */
export function didYouMeanHint(
  value: unknown,
  known: readonly string[],
  aliases?: Readonly<Record<string, string>>,
): string {
  if (typeof value !== 'string') return '';
  const suggestion = didYouMean(value, known, aliases);
  return suggestion === undefined || suggestion === value ? '' : ` (did you mean "${suggestion}"?)`;
}
