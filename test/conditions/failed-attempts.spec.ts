import {
  BadRequestException,
  ForbiddenException,
  type ExecutionContext,
  UnauthorizedException,
} from '@nestjs/common';
import { GraphQLError } from 'graphql';
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

describe('failedAttempts: what counts as a failure (countOn, failedResult)', () => {
  /** Runs one attempt through `when` and reports `outcome`; resolves with the count left. */
  const attempt = async (
    when: ReturnType<typeof failedAttempts>,
    outcome: { error: unknown } | { result: unknown },
  ): Promise<number> => {
    const [whenHooks] = outcomeHooksOf(when);
    const context = contextFor();
    await when(context);
    await ('error' in outcome
      ? whenHooks.onError(context, outcome.error)
      : whenHooks.onSuccess(context, outcome.result));
    return store.count(KEY);
  };
  const unauthenticated = () =>
    new GraphQLError('Wrong password', { extensions: { code: 'UNAUTHENTICATED' } });

  it("countOn ['UNAUTHENTICATED'] counts an Apollo-style GraphQLError by its extension code", async () => {
    const byCode = failedAttempts({ threshold: 3, window: '1m', countOn: ['UNAUTHENTICATED'] });
    expect(await attempt(byCode, { error: unauthenticated() })).toBe(1);
    // Other codes, and errors without one, are refunded.
    const forbidden = new GraphQLError('No', { extensions: { code: 'FORBIDDEN' } });
    expect(await attempt(byCode, { error: forbidden })).toBe(1);
    expect(await attempt(byCode, { error: new Error('boom') })).toBe(1);
    expect(await attempt(byCode, { error: 'UNAUTHENTICATED' })).toBe(1);
    expect(await attempt(byCode, { error: null })).toBe(1);
  });

  it("a code also matches an error's own `code`, and the code Nest's Apollo driver gives an HttpException", async () => {
    const byCode = failedAttempts({ threshold: 9, window: '1m', countOn: ['UNAUTHENTICATED'] });
    const coded = Object.assign(new Error('denied'), { code: 'UNAUTHENTICATED' });
    expect(await attempt(byCode, { error: coded })).toBe(1);
    // Nest answers an UnauthorizedException in a resolver with code UNAUTHENTICATED.
    expect(await attempt(byCode, { error: new UnauthorizedException() })).toBe(2);
    expect(await attempt(byCode, { error: new ForbiddenException() })).toBe(2);
    const forbidden = failedAttempts({ threshold: 9, window: '1m', countOn: ['FORBIDDEN'] });
    expect(await attempt(forbidden, { error: new ForbiddenException() })).toBe(3);
    expect(await attempt(forbidden, { error: new BadRequestException() })).toBe(3);
  });

  it('statuses, codes and classes mix; a status does not match a GraphQLError', async () => {
    class WrongOtp extends Error {}
    const mixed = failedAttempts({
      threshold: 9,
      window: '1m',
      countOn: [401, 'BAD_USER_INPUT', WrongOtp],
    });
    expect(await attempt(mixed, { error: new UnauthorizedException() })).toBe(1);
    expect(await attempt(mixed, { error: new WrongOtp() })).toBe(2);
    const badInput = new GraphQLError('Bad', { extensions: { code: 'BAD_USER_INPUT' } });
    expect(await attempt(mixed, { error: badInput })).toBe(3);
    const byStatus = failedAttempts({ threshold: 9, window: '1m', countOn: [401] });
    expect(await attempt(byStatus, { error: unauthenticated() })).toBe(3);
  });

  it('only a statuses-only countOn without failedResult is judged from the HTTP status', () => {
    const judged = (when: ReturnType<typeof failedAttempts>) =>
      outcomeHooksOf(when)[0].onStatus !== undefined;
    expect(judged(failedAttempts({ threshold: 3, window: '1m' }))).toBe(true);
    expect(judged(failedAttempts({ threshold: 3, window: '1m', countOn: [401, 403] }))).toBe(true);
    expect(
      judged(failedAttempts({ threshold: 3, window: '1m', countOn: ['UNAUTHENTICATED'] })),
    ).toBe(false);
    expect(
      judged(failedAttempts({ threshold: 3, window: '1m', countOn: [UnauthorizedException] })),
    ).toBe(false);
    expect(judged(failedAttempts({ threshold: 3, window: '1m', failedResult: () => false }))).toBe(
      false,
    );
  });

  it('failedResult counts a returned { ok: false } as a failure and anything else as a success', async () => {
    const byResult = failedAttempts({
      threshold: 9,
      window: '1m',
      failedResult: (result) => (result as { ok?: boolean } | undefined)?.ok === false,
    });
    expect(await attempt(byResult, { result: { ok: false } })).toBe(1);
    expect(await attempt(byResult, { result: { ok: true } })).toBe(1);
    expect(await attempt(byResult, { result: undefined })).toBe(1);
    // Thrown errors are still judged by countOn (default 401).
    expect(await attempt(byResult, { error: new UnauthorizedException() })).toBe(2);
    // A success after a solved challenge clears; a failed result after one does not.
    const solvedButFailed = contextFor();
    await byResult(solvedButFailed);
    solvedButFailed.verified = true;
    await outcomeHooksOf(byResult)[0].onSuccess(solvedButFailed, { ok: false });
    expect(await store.count(KEY)).toBe(3);
  });

  it('a failedResult that throws, or answers a truthy value, counts a failure (fail safe)', async () => {
    const throwing = failedAttempts({
      threshold: 9,
      window: '1m',
      failedResult: () => {
        throw new Error('bad predicate');
      },
    });
    expect(await attempt(throwing, { result: { ok: true } })).toBe(1);
    const truthy = failedAttempts({
      threshold: 9,
      window: '1m',
      failedResult: (result) => (result as { error?: string }).error as unknown as boolean,
    });
    expect(await attempt(truthy, { result: { error: 'wrong_password' } })).toBe(2);
    expect(await attempt(truthy, { result: { error: '' } })).toBe(2);
  });

  it.each([
    [[0], 'countOn entry 0'],
    [[401.5], 'countOn entry 401.5'],
    [[1000], 'countOn entry 1000'],
    [[''], 'countOn entry ""'],
    [[' UNAUTHENTICATED'], 'countOn entry " UNAUTHENTICATED"'],
    [[null], 'countOn entry null'],
    [[{ code: 'UNAUTHENTICATED' }], 'countOn entry {"code":"UNAUTHENTICATED"}'],
    [[(error: unknown) => error instanceof Error], 'countOn entry function'],
    ['UNAUTHENTICATED', 'countOn must be an array'],
    [401, 'countOn must be an array'],
  ])('refuses countOn %j at construction', (countOn, message) => {
    expect(() => failedAttempts({ threshold: 3, window: '1m', countOn: countOn as never })).toThrow(
      TypeError,
    );
    expect(() => failedAttempts({ threshold: 3, window: '1m', countOn: countOn as never })).toThrow(
      message,
    );
  });

  it.each([[true], ['ok'], [{ ok: false }], [null]])(
    'refuses failedResult %j at construction',
    (failedResult) => {
      expect(() =>
        failedAttempts({ threshold: 3, window: '1m', failedResult: failedResult as never }),
      ).toThrow(/failedAttempts: failedResult must be a function/);
    },
  );
});
