/**
 * A shared contract: a leaf module (it imports nothing) that the server and the browser client
 * both read.
 */

/**
 * The one vocabulary of failure reasons, used in verification results, HTTP bodies, logs and
 * metric labels.
 * @public
 */
export const CAPTCHA_REASONS = Object.freeze([
  'missing',
  'malformed',
  'invalid',
  'expired',
  'duplicate',
  'action_mismatch',
  'hostname_mismatch',
  'score_too_low',
  'misconfigured',
  'provider_unavailable',
] as const);

/**
 * Why a verification failed.
 *
 * | reason | meaning |
 * |---|---|
 * | `missing` | the request carried no token |
 * | `malformed` | not a string, empty, too long or bad characters: never sent to the provider |
 * | `invalid` | the provider rejected the token |
 * | `expired` | the provider says timed out, or the token is older than `maxTokenAgeSeconds` |
 * | `duplicate` | the token was already used (our single-use store, or the provider says so) |
 * | `action_mismatch` | the token was made for another action |
 * | `hostname_mismatch` | the token was solved on a host not in `expectedHostnames` |
 * | `score_too_low` | a score-based provider scored under the action's `minScore` |
 * | `misconfigured` | the provider rejects our secret or site key: an operator error |
 * | `provider_unavailable` | timeout, network error, 5xx, unreadable answer |
 * @public
 */
export type CaptchaReason = (typeof CAPTCHA_REASONS)[number];
