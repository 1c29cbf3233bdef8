import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import {
  aliased,
  bootGraphqlApp,
  errorCodes,
  type GraphqlOperation,
  LoginResolver,
  postGraphql,
  reached,
  StepResolver,
  THRESHOLD,
  VICTIM,
} from '../support/graphql-login';
import { RedisServer } from '../support/redis-server';

jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

/**
 * Attack (issue 15, item 4): many password guesses in one GraphQL request. Aliased fields and the
 * operations of a batch (`allowBatchedHttpRequests`) are judged together, within one HTTP request;
 * `failedAttempts` must still let at most `threshold` guesses per subject reach the resolver, and
 * credit each failure to the subject of the call that failed.
 */
const GUESSES = 20;
/** An attack's answer must come within this (the process is not hung by it). */
const ANSWER_WITHIN_MS = 5_000;

const setups = [{ store: 'memory' }, { store: 'redis' }] as const;

describe.each(setups)('GraphQL brute force in one request ($store store)', (setup) => {
  let fake: FakeCaptchaServer;
  let redis: RedisServer | undefined;
  let app: INestApplication;
  let nextId = 1;
  const newClient = () => `203.0.113.${nextId++}`;
  const newVictim = () => `victim-${nextId++}@example.com`;

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    if (setup.store === 'redis') redis = await RedisServer.start();
    const options: CaptchaModuleOptions = {
      provider: 'turnstile',
      siteKey: FakeCaptchaServer.siteKeys.turnstile,
      secretKey: FakeCaptchaServer.secrets.turnstile,
      verifyUrl: fake.verifyUrl('turnstile'),
      trustProxy: 'loopback',
      ...(redis
        ? {
            store: 'redis',
            redis: { url: redis.url, keyPrefix: `gql:${randomUUID()}:`, commandTimeoutMs: 1_000 },
          }
        : { store: 'memory' }),
    };
    app = await bootGraphqlApp(options, [LoginResolver, StepResolver], {
      allowBatchedHttpRequests: true,
    });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await redis?.stop();
  });
  beforeEach(() => {
    reached.length = 0;
  });

  /** Guesses that reached a resolver for `email` (any casing). */
  const yieldFor = (email: string) =>
    reached.filter((call) => call.toLowerCase().endsWith(`:${email.toLowerCase()}`)).length;

  /** The app still answers, and a sign-in with a solved challenge still reaches the resolver. */
  const expectAlive = async (email: string) => {
    const calm = await postGraphql(app, { query: '{ hello }' });
    expect(calm).toEqual({ data: { hello: 'world' } });
    const challenged = await postGraphql(app, {
      query: `mutation { login(email: "${email}", password: "wrong") }`,
    });
    expect(challenged.errors?.[0].extensions.code).toBe('captcha_required');
    const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
    const solved = await postGraphql(
      app,
      { query: `mutation { login(email: "${email}", password: "wrong") }` },
      { headers: { 'x-captcha-token': token } },
    );
    expect(solved.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  };

  it(`${GUESSES} aliased login mutations in one request: ${THRESHOLD} reach the resolver`, async () => {
    const victim = newVictim();
    const started = Date.now();
    const body = await postGraphql(
      app,
      {
        query: aliased('mutation', GUESSES, (i) => `login(email: "${victim}", password: "g${i}")`),
      },
      { ip: newClient(), timeoutMs: ANSWER_WITHIN_MS },
    );
    expect(Date.now() - started).toBeLessThan(ANSWER_WITHIN_MS);
    expect(yieldFor(victim)).toBe(THRESHOLD);
    expect(errorCodes(body)).toEqual({
      UNAUTHENTICATED: THRESHOLD,
      captcha_required: GUESSES - THRESHOLD,
    });
    await expectAlive(victim);
  });

  it.each([
    ['mutation', 'login'],
    ['query', 'checkLogin'],
  ] as const)(
    `one solved challenge in the header buys one guess past the threshold, not ${GUESSES} (aliased %s)`,
    async (kind, field) => {
      const victim = newVictim();
      const ip = newClient();
      const guess = (i: number) => `${field}(email: "${victim}", password: "g${i}")`;
      await postGraphql(app, { query: aliased(kind, THRESHOLD, guess) }, { ip });
      expect(yieldFor(victim)).toBe(THRESHOLD);
      // Every alias reads the same header token; it is single-use, so one alias gets through.
      const token = fake.issueToken({ provider: 'turnstile', action: 'login' });
      const body = await postGraphql(
        app,
        { query: aliased(kind, GUESSES, (i) => guess(THRESHOLD + i)) },
        { ip, headers: { 'x-captcha-token': token }, timeoutMs: ANSWER_WITHIN_MS },
      );
      expect(yieldFor(victim)).toBe(THRESHOLD + 1);
      expect(errorCodes(body)).toEqual({ UNAUTHENTICATED: 1, captcha_invalid: GUESSES - 1 });
      expect(body.errors!.filter((e) => e.extensions.code === 'captcha_invalid')).toEqual(
        Array.from({ length: GUESSES - 1 }, () =>
          expect.objectContaining({
            extensions: expect.objectContaining({
              details: expect.objectContaining({ reason: 'duplicate' }),
            }),
          }),
        ),
      );
    },
  );

  it(`${GUESSES} aliased login queries (resolved concurrently): ${THRESHOLD} reach the resolver`, async () => {
    const victim = newVictim();
    const body = await postGraphql(
      app,
      {
        query: aliased(
          'query',
          GUESSES,
          (i) => `checkLogin(email: "${victim}", password: "g${i}")`,
        ),
      },
      { ip: newClient(), timeoutMs: ANSWER_WITHIN_MS },
    );
    expect(yieldFor(victim)).toBe(THRESHOLD);
    expect(errorCodes(body)).toEqual({
      UNAUTHENTICATED: THRESHOLD,
      captcha_required: GUESSES - THRESHOLD,
    });
  });

  it(`a batch of ${GUESSES} login operations: ${THRESHOLD} reach the resolver`, async () => {
    const victim = newVictim();
    const batch: GraphqlOperation[] = Array.from({ length: GUESSES }, (_, i) => ({
      query: 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) }',
      variables: { e: victim, p: `g${i}` },
    }));
    const bodies = await postGraphql(app, batch, {
      ip: newClient(),
      timeoutMs: ANSWER_WITHIN_MS,
    });
    expect(bodies).toHaveLength(GUESSES);
    expect(yieldFor(victim)).toBe(THRESHOLD);
    expect(errorCodes(bodies)).toEqual({
      UNAUTHENTICATED: THRESHOLD,
      captcha_required: GUESSES - THRESHOLD,
    });
  });

  it(`parallel requests of batches of aliases (${4 * 5 * 3} guesses): ${THRESHOLD} reach the resolver`, async () => {
    const victim = newVictim();
    const batch = (r: number): GraphqlOperation[] =>
      Array.from({ length: 5 }, (_, o) => ({
        query:
          o % 2 === 0
            ? aliased(
                'mutation',
                3,
                (i) => `login(email: "${victim}", password: "g${r}-${o}-${i}")`,
              )
            : aliased(
                'query',
                3,
                (i) => `checkLogin(email: "${victim}", password: "g${r}-${o}-${i}")`,
              ),
      }));
    const all = await Promise.all(
      [0, 1, 2, 3].map((r) =>
        postGraphql(app, batch(r), { ip: newClient(), timeoutMs: ANSWER_WITHIN_MS }),
      ),
    );
    expect(yieldFor(victim)).toBe(THRESHOLD);
    expect(errorCodes(all.flat())).toEqual({
      UNAUTHENTICATED: THRESHOLD,
      captcha_required: 4 * 5 * 3 - THRESHOLD,
    });
  });

  it(`per 'ip': ${GUESSES} aliases at ${GUESSES} accounts, then a batch: ${THRESHOLD} reach the resolver in all`, async () => {
    const ip = newClient();
    const victims = Array.from({ length: GUESSES }, newVictim);
    const aliases = await postGraphql(
      app,
      {
        query: aliased(
          'mutation',
          GUESSES,
          (i) => `loginByIp(email: "${victims[i]}", password: "g")`,
        ),
      },
      { ip, timeoutMs: ANSWER_WITHIN_MS },
    );
    const batch = await postGraphql(
      app,
      victims.map((victim) => ({
        query: `mutation { loginByIp(email: "${victim}", password: "g") }`,
      })),
      { ip, timeoutMs: ANSWER_WITHIN_MS },
    );
    expect(reached.filter((call) => call.startsWith('loginByIp:'))).toHaveLength(THRESHOLD);
    expect(errorCodes([aliases, ...batch])).toEqual({
      UNAUTHENTICATED: THRESHOLD,
      captcha_required: 2 * GUESSES - THRESHOLD,
    });
  });

  it('e-mail casing does not open new buckets: the argument is compared case-insensitively', async () => {
    const victim = newVictim();
    const variants = [victim, victim.toUpperCase(), `${victim[0].toUpperCase()}${victim.slice(1)}`];
    const body = await postGraphql(
      app,
      {
        query: aliased(
          'query',
          GUESSES,
          (i) => `checkLogin(email: "${variants[i % variants.length]}", password: "g${i}")`,
        ),
      },
      { ip: newClient(), timeoutMs: ANSWER_WITHIN_MS },
    );
    expect(yieldFor(victim)).toBe(THRESHOLD);
    expect(errorCodes(body).captcha_required).toBe(GUESSES - THRESHOLD);
  });

  it('a decoy variable does not move the count: the subject is the resolved argument', async () => {
    const victim = newVictim();
    // The real e-mail inline, a different `email` in the (undeclared) variables of each operation.
    const batch = Array.from({ length: GUESSES }, (_, i) => ({
      query: `mutation { login(email: "${victim}", password: "g${i}") }`,
      variables: { email: `decoy-${i}@example.com` },
    }));
    const bodies = await postGraphql(app, batch, {
      ip: newClient(),
      timeoutMs: ANSWER_WITHIN_MS,
    });
    expect(yieldFor(victim)).toBe(THRESHOLD);
    expect(errorCodes(bodies).captcha_required).toBe(GUESSES - THRESHOLD);
    // Declared but unused, the decoy makes the operation invalid: nothing runs at all.
    const declared = await postGraphql(
      app,
      {
        query: `mutation ($email: String) { login(email: "${victim}", password: "x") }`,
        variables: { email: 'decoy@example.com' },
      },
      { status: 400 },
    );
    expect(declared.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(yieldFor(victim)).toBe(THRESHOLD);
  });

  it(`nested input argument (per 'args.input.email'), from variables: ${THRESHOLD} of a batch of ${GUESSES}`, async () => {
    const victim = newVictim();
    const batch = Array.from({ length: GUESSES }, (_, i) => ({
      query: 'mutation ($input: LoginInput!) { signIn(input: $input) }',
      variables: { input: { email: i % 2 ? victim.toUpperCase() : victim, password: `g${i}` } },
    }));
    const bodies = await postGraphql(app, batch, {
      ip: newClient(),
      timeoutMs: ANSWER_WITHIN_MS,
    });
    expect(yieldFor(victim)).toBe(THRESHOLD);
    expect(errorCodes(bodies)).toEqual({
      UNAUTHENTICATED: THRESHOLD,
      captcha_required: GUESSES - THRESHOLD,
    });
    // The victim's own sign-in, next to the attacker's exhausted bucket, is challenged too: one count per account.
    const own = await postGraphql(app, {
      query: `mutation { signIn(input: { email: "${victim}", password: "${VICTIM.password}" }) }`,
    });
    expect(own.errors?.[0].extensions.code).toBe('captcha_required');
  });
});
