import type { ExecutionContext } from '@nestjs/common';
import { anyOf, failedAttempts, MemoryCaptchaStore, type CaptchaContext } from 'nestjs-captcha';
import {
  outcomeHooksOf,
  type ConditionOutcomeHooks,
} from '../../lib/conditions/condition-internals';
import { failureCounterKey } from '../../lib/conditions/failed-attempts.condition';

/**
 * The counting rules of `failedAttempts`, driven directly through the condition and the outcome
 * hooks the guard and the interceptor call (the e2e specs drive them over HTTP).
 */
const IP = '192.0.2.10';
const KEY = failureCounterKey('login', IP);

let store: MemoryCaptchaStore;
beforeEach(() => {
  store = new MemoryCaptchaStore();
});

function contextFor(): CaptchaContext {
  return {
    executionContext: {} as ExecutionContext,
    request: {},
    clientIp: IP,
    clientIpSource: 'socket',
    requestId: 'test',
    action: 'login',
    store,
    verified: false,
  };
}

const condition = failedAttempts({ threshold: 3, window: '1m' });
const [hooks] = outcomeHooksOf(condition) as [ConditionOutcomeHooks];

/** Other requests' attempts, already counted. */
async function counted(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.increment(KEY, 60_000);
}

describe('failedAttempts counting', () => {
  it('counts and refunds a calm request on the memory store without a promise', async () => {
    const context = contextFor();
    const fired = condition(context);
    expect(fired).toBe(false); // a boolean, not a promise
    expect(await store.count(KEY)).toBe(1);
    expect(hooks.onStatus!(context, 200)).toBeUndefined();
    expect(await store.count(KEY)).toBe(0);
    // Calm traffic leaves no count behind (the lone entry is kept at 0, see the store's spec).
    expect(store.size).toBeLessThanOrEqual(1);
  });

  it('fires when the new count exceeds the threshold: 3 attempts pass, the 4th is challenged', async () => {
    const results = Array.from({ length: 4 }, () => condition(contextFor()));
    expect(results).toEqual([false, false, false, true]);
  });

  it('keeps a failure counted and refunds anything else', async () => {
    await counted(1);
    const failed = contextFor();
    condition(failed);
    expect(hooks.onStatus!(failed, 401)).toBeUndefined();
    expect(await store.count(KEY)).toBe(2);
    for (const status of [200, 302, 400, 403, 429, 500]) {
      const other = contextFor();
      condition(other);
      hooks.onStatus!(other, status);
      expect(await store.count(KEY)).toBe(2);
    }
    const thrown = contextFor();
    condition(thrown);
    hooks.onError(thrown, new Error('boom'));
    expect(await store.count(KEY)).toBe(2);
  });

  it('refunds only an attempt it counted, and only once', async () => {
    await counted(2);
    const context = contextFor();
    condition(context);
    expect(await store.count(KEY)).toBe(3);
    hooks.onRefused(context);
    hooks.onRefused(context);
    hooks.onStatus!(context, 200);
    expect(await store.count(KEY)).toBe(2);
  });

  it('evaluated twice for one request, counts once', async () => {
    const context = contextFor();
    condition(context);
    condition(context);
    expect(await store.count(KEY)).toBe(1);
  });

  it('inside anyOf: not evaluated, nothing refunded; a failure is still counted at the outcome', async () => {
    await counted(2);
    const fired = () => true;
    const combined = anyOf(fired, condition);
    const combinedHooks = outcomeHooksOf(combined);
    const refused = contextFor();
    expect(await combined(refused)).toBe(true);
    for (const hook of combinedHooks) await hook.onRefused(refused);
    expect(await store.count(KEY)).toBe(2);
    const failed = contextFor();
    await combined(failed);
    for (const hook of combinedHooks) await hook.onStatus!(failed, 401);
    expect(await store.count(KEY)).toBe(3);
  });

  it("resetOn 'verified': a success clears the count only after a solved challenge", async () => {
    await counted(3);
    const calm = contextFor();
    expect(condition(calm)).toBe(true);
    hooks.onStatus!(calm, 200);
    expect(await store.count(KEY)).toBe(3);
    const solved = contextFor();
    expect(condition(solved)).toBe(true);
    solved.verified = true;
    await hooks.onStatus!(solved, 200);
    expect(await store.count(KEY)).toBe(0);
  });

  it("resetOn 'never': even a verified success only refunds its own attempt", async () => {
    const never = failedAttempts({ threshold: 3, window: '1m', resetOn: 'never' });
    const [neverHooks] = outcomeHooksOf(never);
    await counted(2);
    const solved = contextFor();
    never(solved);
    solved.verified = true;
    await neverHooks.onSuccess(solved);
    expect(await store.count(KEY)).toBe(2);
  });
});
