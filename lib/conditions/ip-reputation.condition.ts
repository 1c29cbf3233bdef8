import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { CaptchaCondition } from './captcha-condition';
import { CONDITION_SOURCES, defineCondition } from './condition-internals';
import { parseDuration, type Duration } from './duration';

/**
 * A reputation lookup's answer: `'bad'` (or `true`) challenges, `'good'`/`'neutral'` (or `false`) do not.
 *
 * @public
 */
export type IpVerdict = 'good' | 'neutral' | 'bad' | boolean;

/**
 * Options of {@link ipReputation}.
 *
 * @public
 */
export interface IpReputationOptions {
  /** How long a verdict is reused for the same IP. Default `'5m'`. */
  cacheFor?: Duration;
  /** Most IPs remembered. Default `10_000`. */
  maxEntries?: number;
  /** When the lookup throws or has no IP: challenge (`true`, the default) or not. */
  challengeOnError?: boolean;
}

/**
 * Challenge clients your reputation source distrusts. `lookup` is yours (a threat feed, an
 * internal service); its verdicts are cached per IP for `cacheFor`, so a burst from one address
 * costs one lookup. A lookup that fails challenges by default (fail closed).
 *
 * @example
 * ```ts
 * when: ipReputation(async (ip) => ((await feed.score(ip)) > 80 ? 'bad' : 'good'))
 * ```
 *
 * @public
 */
export function ipReputation(
  lookup: (ip: string) => IpVerdict | Promise<IpVerdict>,
  options: IpReputationOptions = {},
): CaptchaCondition {
  const { challengeOnError = true } = options;
  const cache = new LRUCache<string, boolean>({
    max: options.maxEntries ?? 10_000,
    ttl: parseDuration(options.cacheFor ?? '5m', 'ipReputation: cacheFor'),
  });
  const logger = new Logger('CaptchaIpReputation');
  return defineCondition(
    'ipReputation',
    async ({ clientIp }) => {
      if (clientIp === undefined) return challengeOnError;
      const cached = cache.get(clientIp);
      if (cached !== undefined) return cached;
      try {
        const verdict = await lookup(clientIp);
        const challenge = verdict === true || verdict === 'bad';
        cache.set(clientIp, challenge);
        return challenge;
      } catch (error) {
        logger.warn({ event: 'captcha.ip_reputation_failed', cause: (error as Error)?.message });
        return challengeOnError;
      }
    },
    { [CONDITION_SOURCES]: ['ip'] },
  );
}
