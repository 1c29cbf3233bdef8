import { Logger } from '@nestjs/common';
import { resolveCaptchaOptions } from 'nestjs-captcha';
import {
  DEV,
  HMAC_ACCEPTED,
  HMAC_KEY,
  SECRET,
  TURNSTILE,
  TURNSTILE_ENV,
  envError,
  fromEnv,
  linesOf,
  optionsError,
  refusedOptions,
  refusedVariables,
} from './config-helpers';

// The rules of `clearance` (README: Clearance), written in code (options.clearance.*) and read
// from the environment (CAPTCHA_CLEARANCE_*).

const TTL_ACCEPTED = 'an integer from 1 to 86400 (seconds)';
const USES_ACCEPTED = 'an integer from 1 to 1000 (requests per clearance)';
const ACTIONS_ACCEPTED =
  '1 to 32 route actions (letters, digits, _ . : / -, up to 64 characters each), e.g. login,signup';
const CLEARANCE_ACCEPTED =
  "{ ttlSeconds, uses?, key?, actions? }, e.g. { ttlSeconds: 600, uses: 5, key, actions: ['login', 'signup'] }";
const WEAK_KEY = 'changeme-changeme-changeme-changeme';
const PROD = { nodeEnv: 'production' };

describe('clearance options', () => {
  refusedOptions([
    [
      'a clearance that is a number',
      { ...TURNSTILE, clearance: 600 },
      `options.clearance: 600 is not an object; accepted: ${CLEARANCE_ACCEPTED}`,
    ],
    [
      'a clearance without ttlSeconds',
      { ...TURNSTILE, clearance: { uses: 3 } },
      `options.clearance.ttlSeconds (CAPTCHA_CLEARANCE_TTL): not set, but options.clearance.uses is set (clearances are off without it); accepted: ${TTL_ACCEPTED}`,
    ],
    [
      'a ttl of 0',
      { ...TURNSTILE, clearance: { ttlSeconds: 0 } },
      `options.clearance.ttlSeconds: 0 is out of range; accepted: ${TTL_ACCEPTED}`,
    ],
    [
      'a fractional ttl',
      { ...TURNSTILE, clearance: { ttlSeconds: 1.5 } },
      `options.clearance.ttlSeconds: 1.5 is not a whole number; accepted: ${TTL_ACCEPTED}`,
    ],
    [
      'uses of 0',
      { ...TURNSTILE, clearance: { ttlSeconds: 600, uses: 0 } },
      `options.clearance.uses: 0 is out of range; accepted: ${USES_ACCEPTED}`,
    ],
    [
      'a short key',
      { ...TURNSTILE, clearance: { ttlSeconds: 600, key: 'short' } },
      `options.clearance.key: the value (hidden) is too short; accepted: ${HMAC_ACCEPTED}`,
    ],
    [
      'a key that is a function',
      { ...TURNSTILE, clearance: { ttlSeconds: 600, key: () => HMAC_KEY } },
      `options.clearance.key: the value (hidden) is not a string; accepted: ${HMAC_ACCEPTED}`,
    ],
    [
      'actions that are a string',
      { ...TURNSTILE, clearance: { ttlSeconds: 600, actions: 'login' } },
      `options.clearance.actions: "login" is not an array; accepted: ${ACTIONS_ACCEPTED}`,
    ],
    [
      'an empty action list',
      { ...TURNSTILE, clearance: { ttlSeconds: 600, actions: [] } },
      `options.clearance.actions: [] is empty; accepted: ${ACTIONS_ACCEPTED}`,
    ],
    [
      'an action with a space',
      { ...TURNSTILE, clearance: { ttlSeconds: 600, actions: ['login', 'sign up'] } },
      `options.clearance.actions: ["login", "sign up"] holds an invalid action name: "sign up"; accepted: ${ACTIONS_ACCEPTED}`,
    ],
    [
      'a misspelt clearance option',
      { ...TURNSTILE, clearance: { ttlSeconds: 600, usses: 3 } },
      'options.clearance.usses: 3 is not a clearance option; accepted: ttlSeconds, uses, key, actions',
    ],
  ]);

  it('is off by default, and fills in 5 uses and no action list', () => {
    expect(resolveCaptchaOptions(TURNSTILE, DEV).clearance).toBeUndefined();
    expect(
      resolveCaptchaOptions({ ...TURNSTILE, clearance: { ttlSeconds: 600, key: HMAC_KEY } }, DEV)
        .clearance,
    ).toEqual({ ttlSeconds: 600, uses: 5, key: HMAC_KEY });
  });

  it('outside production, uses one random key per process without a key, and warns once per module', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const first = resolveCaptchaOptions({ ...TURNSTILE, clearance: { ttlSeconds: 60 } }, DEV);
      const second = resolveCaptchaOptions({ ...TURNSTILE, clearance: { ttlSeconds: 60 } }, DEV);
      expect(first.clearance!.key).toMatch(/^[0-9a-f]{64}$/);
      expect(second.clearance!.key).toBe(first.clearance!.key);
      const warnings = warn.mock.calls.map(([message]) => String(message));
      expect(warnings.filter((line) => line.includes('no clearance key set'))).toHaveLength(2);
    } finally {
      warn.mockRestore();
    }
  });

  it('in production, refuses start-up without a key, with one clear line', () => {
    const error = optionsError({ ...TURNSTILE, clearance: { ttlSeconds: 600 } }, PROD);
    expect(linesOf(error)).toEqual([
      `options.clearance.key (CAPTCHA_CLEARANCE_KEY): not set, but clearances are on (options.clearance.ttlSeconds) and production (NODE_ENV=production) needs a key every instance shares; accepted: ${HMAC_ACCEPTED}`,
    ]);
  });

  it('in production, refuses a weak key without quoting it', () => {
    const error = optionsError(
      { ...TURNSTILE, clearance: { ttlSeconds: 600, key: WEAK_KEY } },
      PROD,
    );
    expect(linesOf(error)).toEqual([
      `options.clearance.key (CAPTCHA_CLEARANCE_KEY): the value (hidden) is a weak key (it repeats a short pattern), refused in production (NODE_ENV=production); accepted: ${HMAC_ACCEPTED}`,
    ]);
    expect(error.message).not.toContain('changeme');
  });

  it('in production, accepts a random key', () => {
    const resolved = resolveCaptchaOptions(
      { ...TURNSTILE, clearance: { ttlSeconds: 600, key: HMAC_KEY, actions: ['login'] } },
      PROD,
    );
    expect(resolved.clearance).toEqual({
      ttlSeconds: 600,
      uses: 5,
      key: HMAC_KEY,
      actions: ['login'],
    });
  });
});

describe('clearance variables', () => {
  refusedVariables([
    [
      'a ttl that is not a number',
      { ...TURNSTILE_ENV, CAPTCHA_CLEARANCE_TTL: '10m' },
      `CAPTCHA_CLEARANCE_TTL: "10m" is not a whole number; accepted: ${TTL_ACCEPTED}`,
    ],
    [
      'a ttl out of range',
      { ...TURNSTILE_ENV, CAPTCHA_CLEARANCE_TTL: '100000' },
      `CAPTCHA_CLEARANCE_TTL: "100000" is out of range; accepted: ${TTL_ACCEPTED}`,
    ],
    [
      'uses without a ttl',
      { ...TURNSTILE_ENV, CAPTCHA_CLEARANCE_USES: '3' },
      `CAPTCHA_CLEARANCE_TTL: not set, but CAPTCHA_CLEARANCE_USES is set (clearances are off without it); accepted: ${TTL_ACCEPTED}`,
    ],
    [
      'a short key',
      { ...TURNSTILE_ENV, CAPTCHA_CLEARANCE_TTL: '600', CAPTCHA_CLEARANCE_KEY: SECRET },
      `CAPTCHA_CLEARANCE_KEY: the value (hidden) is too short; accepted: ${HMAC_ACCEPTED}`,
    ],
    [
      'an action list without actions',
      { ...TURNSTILE_ENV, CAPTCHA_CLEARANCE_TTL: '600', CAPTCHA_CLEARANCE_ACTIONS: ' , ' },
      `CAPTCHA_CLEARANCE_ACTIONS: "," contains no action; accepted: ${ACTIONS_ACCEPTED}`,
    ],
    [
      'the key missing in production',
      { ...TURNSTILE_ENV, NODE_ENV: 'production', CAPTCHA_CLEARANCE_TTL: '600' },
      `CAPTCHA_CLEARANCE_KEY: not set, but clearances are on (CAPTCHA_CLEARANCE_TTL) and production (NODE_ENV=production) needs a key every instance shares; accepted: ${HMAC_ACCEPTED}`,
    ],
    [
      'a weak key in production',
      {
        ...TURNSTILE_ENV,
        CAPTCHA_ENV: 'production',
        CAPTCHA_CLEARANCE_TTL: '600',
        CAPTCHA_CLEARANCE_KEY: WEAK_KEY,
      },
      `CAPTCHA_CLEARANCE_KEY: the value (hidden) is a weak key (it repeats a short pattern), refused in production (CAPTCHA_ENV=production); accepted: ${HMAC_ACCEPTED}`,
    ],
  ]);

  it('is off unless CAPTCHA_CLEARANCE_TTL is set', () => {
    expect(fromEnv(TURNSTILE_ENV).clearance).toBeUndefined();
  });

  it('reads ttl, uses, key and a comma list of actions', () => {
    const options = fromEnv({
      ...TURNSTILE_ENV,
      CAPTCHA_CLEARANCE_TTL: '600',
      CAPTCHA_CLEARANCE_USES: '3',
      CAPTCHA_CLEARANCE_KEY: HMAC_KEY,
      CAPTCHA_CLEARANCE_ACTIONS: 'login, signup',
    });
    expect(options.clearance).toEqual({
      ttlSeconds: 600,
      uses: 3,
      key: HMAC_KEY,
      actions: ['login', 'signup'],
    });
    expect(resolveCaptchaOptions(options, DEV).clearance).toEqual({
      ttlSeconds: 600,
      uses: 3,
      key: HMAC_KEY,
      actions: ['login', 'signup'],
    });
  });

  it('never shows the key in a message', () => {
    const error = envError({
      ...TURNSTILE_ENV,
      CAPTCHA_CLEARANCE_TTL: 'x',
      CAPTCHA_CLEARANCE_KEY: 'sk_live_SUPERSECRET123 with spaces',
    });
    expect(error.message).not.toContain('SUPERSECRET');
    expect(linesOf(error)).toHaveLength(2);
  });
});
