/**
 * Formats a fake `challenge_ts`. Turnstile sends milliseconds (`2022-02-28T15:14:30.096Z`);
 * reCAPTCHA and hCaptcha document `yyyy-MM-dd'T'HH:mm:ssZZ`, i.e. whole seconds.
 *
 * @example
 * fakeChallengeTimestamp(0, 'seconds'); // '1970-01-01T00:00:00Z'
 *
 * @internal
 */
export function fakeChallengeTimestamp(ms: number, precision: 'milliseconds' | 'seconds'): string {
  const iso = new Date(ms).toISOString();
  return precision === 'milliseconds' ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
}
