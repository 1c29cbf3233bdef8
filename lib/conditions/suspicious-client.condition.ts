import type { CaptchaCondition } from './captcha-condition';
import { CONDITION_SOURCES, defineCondition } from './condition-internals';

/**
 * Options of {@link suspiciousClient}.
 *
 * @public
 */
export interface SuspiciousClientOptions {
  /** User agents that mark automation. Default {@link DEFAULT_SUSPICIOUS_USER_AGENTS}. */
  userAgents?: readonly RegExp[];
  /** Headers every browser sends; a request missing one is suspicious. Default `['user-agent', 'accept', 'accept-language']`. */
  requiredHeaders?: readonly string[];
}

/**
 * Headless browsers, automation frameworks and HTTP libraries.
 *
 * @public
 */
export const DEFAULT_SUSPICIOUS_USER_AGENTS: readonly RegExp[] = [
  /headless/i,
  /phantomjs/i,
  /puppeteer|playwright|selenium|webdriver/i,
  /\b(curl|wget|httpie)\//i,
  /python-requests|python-urllib|aiohttp|httpx/i,
  /go-http-client|okhttp|java\/|libwww-perl|axios\/|node-fetch|undici/i,
  /\b(bot|crawler|spider|scrapy)\b/i,
];

const DEFAULT_REQUIRED_HEADERS = ['user-agent', 'accept', 'accept-language'];

/**
 * Challenge requests that do not look like a person's browser: a headless or scripted user
 * agent, or a missing header every browser sends. Cheap, local signals, no lookup; tune the lists
 * for your clients (a mobile app may omit `Accept-Language`).
 *
 * @example
 * ```ts
 * when: anyOf(suspiciousClient(), failedAttempts({ threshold: 3, window: '15m' }))
 * ```
 *
 * @public
 */
export function suspiciousClient(options: SuspiciousClientOptions = {}): CaptchaCondition {
  const userAgents = options.userAgents ?? DEFAULT_SUSPICIOUS_USER_AGENTS;
  const required = (options.requiredHeaders ?? DEFAULT_REQUIRED_HEADERS).map((h) =>
    h.toLowerCase(),
  );
  return defineCondition(
    'suspiciousClient',
    ({ request }) => {
      const headers = ((request as { headers?: Record<string, unknown> })?.headers ?? {}) as Record<
        string,
        unknown
      >;
      if (
        required.some(
          (name) => typeof headers[name] !== 'string' || (headers[name] as string).trim() === '',
        )
      )
        return true;
      const userAgent = typeof headers['user-agent'] === 'string' ? headers['user-agent'] : '';
      return userAgents.some((pattern) => pattern.test(userAgent));
    },
    { [CONDITION_SOURCES]: ['header'] },
  );
}
