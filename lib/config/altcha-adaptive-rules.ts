import { parseDuration } from '../conditions/duration';
import { isPlainObject } from './config-problem';
import type { RuleContext } from './rule-context';

/** Largest counter altcha-lib draws. */
const MAX_COUNTER = 2 ** 32 - 1;

/**
 * The base `counter` range (level 0) of adaptive proof of work when `altcha.counter` is not set:
 * a calm client's solve stays well under a second on a phone-class CPU (about 20 µs per counter
 * in Chromium here, a phone ~5× slower: at most ~0.9 s), and the levels multiply it from there.
 * Without `adaptive` the default range stays `[10_000, 60_000]`. @internal
 */
export const ADAPTIVE_BASE_COUNTER: readonly [number, number] = Object.freeze([1_000, 8_000]);

/**
 * `altcha.adaptive`: `true`, `false`, or `{ perFailure, maxFactor, counter }`; the capped range
 * (`counter` max × `maxFactor`) must stay a counter altcha-lib can draw. @internal
 */
export function checkAltchaAdaptive(value: unknown, counter: unknown, ctx: RuleContext): void {
  if (value === undefined || typeof value === 'boolean') return;
  if (!isPlainObject(value)) {
    return ctx.report(
      'altcha.adaptive',
      value,
      'is not a boolean or an object',
      'true, false, or { perFailure?, maxFactor?, counter?, challenges? }',
    );
  }
  const { perFailure, maxFactor, counter: name, challenges, ...rest } = value;
  for (const key of Object.keys(rest)) {
    ctx.report(
      `altcha.adaptive.${key}`,
      rest[key],
      'is not an option',
      'perFailure, maxFactor, counter, challenges',
    );
  }
  if (
    perFailure !== undefined &&
    !(
      typeof perFailure === 'number' &&
      Number.isFinite(perFailure) &&
      perFailure > 1 &&
      perFailure <= 16
    )
  ) {
    ctx.report(
      'altcha.adaptive.perFailure',
      perFailure,
      'is not a factor',
      'a number above 1, at most 16',
    );
  }
  if (maxFactor !== undefined) {
    if (!(typeof maxFactor === 'number' && Number.isSafeInteger(maxFactor) && maxFactor >= 2)) {
      ctx.report(
        'altcha.adaptive.maxFactor',
        maxFactor,
        'is not a whole factor',
        'a whole number ≥ 2',
      );
    }
  }
  const factor = typeof maxFactor === 'number' ? maxFactor : 64;
  const max =
    Array.isArray(counter) && typeof counter[1] === 'number'
      ? counter[1]
      : ADAPTIVE_BASE_COUNTER[1];
  if (Number.isFinite(factor) && max * factor > MAX_COUNTER) {
    ctx.report(
      'altcha.adaptive.maxFactor',
      maxFactor ?? factor,
      `times the counter max (${max}) exceeds ${MAX_COUNTER}`,
      `at most ${Math.floor(MAX_COUNTER / max)} with this counter`,
    );
  }
  if (name !== undefined && !(typeof name === 'string' && /^[\x21-\x7e]{1,100}$/.test(name))) {
    ctx.report(
      'altcha.adaptive.counter',
      name,
      'is not a counter name',
      '1 to 100 printable ASCII characters without spaces',
    );
  }
  if (challenges !== undefined) checkChallenges(challenges, ctx);
}

function checkChallenges(challenges: unknown, ctx: RuleContext): void {
  const accepted =
    "{ free, window }: free a whole number 0 to 100000, window a duration (ms or e.g. '10m')";
  if (!isPlainObject(challenges)) {
    return ctx.report('altcha.adaptive.challenges', challenges, 'is not an object', accepted);
  }
  const { free, window } = challenges;
  if (!(typeof free === 'number' && Number.isSafeInteger(free) && free >= 0 && free <= 100_000)) {
    ctx.report('altcha.adaptive.challenges.free', free, 'is not a count', accepted);
  }
  let duration = false;
  try {
    duration =
      (typeof window === 'number' || typeof window === 'string') &&
      parseDuration(window as never) > 0;
  } catch {
    duration = false;
  }
  if (!duration)
    ctx.report('altcha.adaptive.challenges.window', window, 'is not a duration', accepted);
}
