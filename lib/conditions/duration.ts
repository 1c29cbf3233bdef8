/**
 * A length of time: milliseconds, or a string such as `'500ms'`, `'30s'`, `'15m'`, `'1h'`, `'1d'`.
 *
 * @public
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Reads a {@link Duration} in milliseconds. Throws at start-up (when a condition is built) for a
 * value that is not a positive duration, so a typo never reaches a request.
 *
 * @public
 */
export function parseDuration(value: Duration, what = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value;
  } else {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value);
    if (match) {
      const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
      if (ms > 0) return ms;
    }
  }
  throw new TypeError(
    `${what}: ${JSON.stringify(value)} is not a duration; accepted: a positive number of ms or e.g. '30s', '15m', '1h'`,
  );
}
