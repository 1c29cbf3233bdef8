import {
  ALTCHA_ALGORITHMS,
  challengePathRule,
  hmacKeyRule,
  integerRule,
} from './captcha-config-rules';
import { checkAltchaAdaptive } from './altcha-adaptive-rules';
import { HIDDEN_VALUE, isPlainObject } from './config-problem';
import { hmacKeyWeakness } from './hmac-key-strength';
import type { RuleContext } from './rule-context';

/** Largest counter altcha-lib draws (and largest cost). */
const MAX_COUNTER = 2 ** 32 - 1;

const expiresInSecondsRule = integerRule(10, 86_400, 'seconds');
const costRule = integerRule(1, MAX_COUNTER, 'iterations');

/**
 * `altcha`: its settings, and its HMAC key: required in production when ALTCHA is the provider or
 * the fallback provider, and refused there when weak (the reason never quotes it). @internal
 */
export function checkAltcha(value: unknown, ctx: RuleContext): void {
  if (value !== undefined && !isPlainObject(value)) {
    return ctx.report(
      'altcha',
      value,
      'is not an object',
      'an object of ALTCHA settings, e.g. { hmacKey }',
    );
  }
  const { hmacKey, algorithm, cost, counter, expiresInSeconds, challengePath, adaptive } =
    value ?? {};
  ctx.checkSecret('altcha.hmacKey', hmacKey, hmacKeyRule);
  checkHmacKeyInProduction(hmacKey, ctx);
  if (algorithm !== undefined && !(ALTCHA_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    ctx.report(
      'altcha.algorithm',
      algorithm,
      'is not a supported algorithm',
      ALTCHA_ALGORITHMS.join(', '),
    );
  }
  ctx.check('altcha.cost', cost, costRule);
  ctx.check('altcha.expiresInSeconds', expiresInSeconds, expiresInSecondsRule);
  if (counter !== undefined) {
    const accepted = `[min, max], whole numbers with 1 ≤ min < max ≤ ${MAX_COUNTER}`;
    const pair =
      Array.isArray(counter) && counter.length === 2 ? (counter as unknown[]) : undefined;
    if (pair === undefined)
      ctx.report('altcha.counter', counter, 'is not a [min, max] pair', accepted);
    else if (!pair.every((n) => typeof n === 'number' && Number.isSafeInteger(n))) {
      ctx.report('altcha.counter', counter, 'does not hold two whole numbers', accepted);
    } else {
      const [min, max] = pair as [number, number];
      if (min < 1 || max > MAX_COUNTER)
        ctx.report('altcha.counter', counter, 'is out of range', accepted);
      else if (min >= max)
        ctx.report('altcha.counter', counter, 'has a min not below its max', accepted);
    }
  }
  if (challengePath !== undefined && challengePath !== false) {
    ctx.check('altcha.challengePath', challengePath, challengePathRule);
  }
  checkAltchaAdaptive(adaptive, counter, ctx);
}

function checkHmacKeyInProduction(hmacKey: unknown, ctx: RuleContext): void {
  const { production, source } = ctx;
  if (production === undefined) return;
  const weakness = typeof hmacKey === 'string' ? hmacKeyWeakness(hmacKey) : undefined;
  if (weakness !== undefined) {
    ctx.problems.push(
      `${source.subject('altcha.hmacKey')}: ${HIDDEN_VALUE} is a weak key (${weakness}), ` +
        `refused in production (${production}); accepted: ${hmacKeyRule.accepted}`,
    );
  }
  if (hmacKey !== undefined) return;
  const who =
    ctx.provider === 'altcha'
      ? 'provider "altcha"'
      : ctx.fallbackProvider === 'altcha'
        ? `fallback provider "altcha" (${source.name('fallback.provider')})`
        : undefined;
  if (who)
    ctx.missing(
      'altcha.hmacKey',
      `${who} requires it in production (${production})`,
      hmacKeyRule.accepted,
    );
}
