import { resolveCaptchaOptions } from 'nestjs-captcha';
import { HMAC_KEY, refusedOptions } from './config-helpers';

// `altcha.adaptive`, checked by the ALTCHA family of the one rules table (options only: no variable).

describe('ALTCHA adaptive proof of work', () => {
  refusedOptions([
    [
      'adaptive that is neither a boolean nor an object',
      { altcha: { hmacKey: HMAC_KEY, adaptive: 'yes' } },
      'options.altcha.adaptive: "yes" is not a boolean or an object; accepted: true, false, or { perFailure?, maxFactor?, counter?, challenges? }',
    ],
    [
      'a factor of 1 per failure (no growth)',
      { altcha: { hmacKey: HMAC_KEY, adaptive: { perFailure: 1 } } },
      'options.altcha.adaptive.perFailure: 1 is not a factor; accepted: a number above 1, at most 16',
    ],
    [
      'a fractional cap',
      { altcha: { hmacKey: HMAC_KEY, adaptive: { maxFactor: 2.5 } } },
      'options.altcha.adaptive.maxFactor: 2.5 is not a whole factor; accepted: a whole number ≥ 2',
    ],
    [
      'a cap past the largest counter',
      { altcha: { hmacKey: HMAC_KEY, counter: [1000, 100_000_000], adaptive: { maxFactor: 64 } } },
      'options.altcha.adaptive.maxFactor: 64 times the counter max (100000000) exceeds 4294967295; accepted: at most 42 with this counter',
    ],
    [
      'a cap past the largest counter over the adaptive base range',
      { altcha: { hmacKey: HMAC_KEY, adaptive: { maxFactor: 600_000 } } },
      'options.altcha.adaptive.maxFactor: 600000 times the counter max (8000) exceeds 4294967295; accepted: at most 536870 with this counter',
    ],
    [
      'a misspelt option',
      { altcha: { hmacKey: HMAC_KEY, adaptive: { perfailure: 2 } } },
      'options.altcha.adaptive.perfailure: 2 is not an option; accepted: perFailure, maxFactor, counter, challenges',
    ],
    [
      'a counter name with spaces',
      { altcha: { hmacKey: HMAC_KEY, adaptive: { counter: 'sign in' } } },
      'options.altcha.adaptive.counter: "sign in" is not a counter name; accepted: 1 to 100 printable ASCII characters without spaces',
    ],
    [
      'a negative number of free challenges',
      { altcha: { hmacKey: HMAC_KEY, adaptive: { challenges: { free: -1, window: '1m' } } } },
      "options.altcha.adaptive.challenges.free: -1 is not a count; accepted: { free, window }: free a whole number 0 to 100000, window a duration (ms or e.g. '10m')",
    ],
    [
      'a challenge window that is no duration',
      {
        altcha: { hmacKey: HMAC_KEY, adaptive: { challenges: { free: 5, window: '10 minutes' } } },
      },
      'options.altcha.adaptive.challenges.window: "10 minutes" is not a duration; accepted: { free, window }: free a whole number 0 to 100000, window a duration (ms or e.g. \'10m\')',
    ],
  ]);

  it('is off by default, and true gives the defaults', () => {
    expect(
      resolveCaptchaOptions({ altcha: { hmacKey: HMAC_KEY } }).altcha.adaptive,
    ).toBeUndefined();
    expect(
      resolveCaptchaOptions({ altcha: { hmacKey: HMAC_KEY, adaptive: false } }).altcha.adaptive,
    ).toBeUndefined();
    expect(
      resolveCaptchaOptions({ altcha: { hmacKey: HMAC_KEY, adaptive: true } }).altcha.adaptive,
    ).toEqual({
      perFailure: 2,
      maxFactor: 64,
    });
    expect(
      resolveCaptchaOptions({
        altcha: { hmacKey: HMAC_KEY, adaptive: { perFailure: 3, maxFactor: 100, counter: 'auth' } },
      }).altcha.adaptive,
    ).toEqual({ perFailure: 3, maxFactor: 100, counter: 'auth' });
    expect(
      resolveCaptchaOptions({
        altcha: { hmacKey: HMAC_KEY, adaptive: { challenges: { free: 10, window: '10m' } } },
      }).altcha.adaptive,
    ).toEqual({ perFailure: 2, maxFactor: 64, challenges: { free: 10, windowMs: 600_000 } });
  });

  it('draws a calm client’s counter from a cheaper base when adaptive and no counter is set', () => {
    const counterOf = (altcha: Record<string, unknown>) =>
      resolveCaptchaOptions({ altcha: { hmacKey: HMAC_KEY, ...altcha } }).altcha.counter;
    // Adaptive: level 0 is 1 000–8 000 (a phone solves it in under a second), the levels grow it.
    expect(counterOf({ adaptive: true })).toEqual([1_000, 8_000]);
    expect(counterOf({ adaptive: { perFailure: 3 } })).toEqual([1_000, 8_000]);
    // Not adaptive: the ALTCHA default as it always was; a counter set is kept either way.
    expect(counterOf({})).toEqual([10_000, 60_000]);
    expect(counterOf({ adaptive: false })).toEqual([10_000, 60_000]);
    expect(counterOf({ adaptive: true, counter: [5_000, 20_000] })).toEqual([5_000, 20_000]);
  });
});
