/**
 * Thrown at start-up when the CAPTCHA configuration (environment variables or module options) is
 * invalid. The message lists every problem on its own line, each naming the variable or option,
 * what is wrong with it and what is accepted, e.g.
 *
 * ```text
 * Invalid CAPTCHA configuration:
 * CAPTCHA_TIMEOUT_MS: "abc" is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)
 * CAPTCHA_SECRET_KEY: the value (hidden) contains whitespace or control characters; accepted: …
 * ```
 *
 * Secret values (secret key, ALTCHA HMAC key, Redis URL) are never part of the message.
 * @public
 */
export class CaptchaConfigError extends Error {
  override readonly name = 'CaptchaConfigError';

  /** One line per problem, in the order they were found. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(['Invalid CAPTCHA configuration:', ...problems].join('\n'));
    this.problems = [...problems];
  }
}
