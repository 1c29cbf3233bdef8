import { type INestApplication, UnauthorizedException } from '@nestjs/common';
import { Args, Field, Mutation, ObjectType, Resolver } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import { CaptchaRiskService, failedAttempts, RequireCaptcha } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import {
  bootGraphqlApp,
  errorCodes,
  type GraphqlOperation,
  postGraphql,
  StepResolver,
  THRESHOLD,
} from '../support/graphql-login';

jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

/**
 * Issue 15, item 5: GraphQL resolvers report failures the Apollo way (a `GraphQLError` with
 * `extensions.code: 'UNAUTHENTICATED'`) or as data (`{ ok: false }`). `failedAttempts` counts
 * them with `countOn: ['UNAUTHENTICATED']` and `failedResult`; before, neither was a failure, so
 * every guess was refunded and an attacker was never challenged.
 */
const PASSWORD = 'right-password';
const calls: string[] = [];

@ObjectType()
class LoginPayload {
  @Field()
  ok!: boolean;
}

@Resolver()
class FailureResolver {
  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({
    action: 'apollo-login',
    when: failedAttempts({
      threshold: THRESHOLD,
      window: '15m',
      per: 'args.email',
      countOn: ['UNAUTHENTICATED'],
    }),
  })
  apolloLogin(@Args('email') email: string, @Args('password') password: string): boolean {
    calls.push(`apolloLogin:${email}`);
    if (password !== PASSWORD) {
      throw new GraphQLError('Wrong e-mail or password', {
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
    return true;
  }

  /** Nest's UnauthorizedException, counted by the code the client sees. */
  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({
    action: 'nest-login',
    when: failedAttempts({
      threshold: THRESHOLD,
      window: '15m',
      per: 'args.email',
      countOn: ['UNAUTHENTICATED'],
    }),
  })
  nestLogin(@Args('email') email: string, @Args('password') password: string): boolean {
    calls.push(`nestLogin:${email}`);
    if (password !== PASSWORD) throw new UnauthorizedException();
    return true;
  }

  @Mutation(() => LoginPayload, { nullable: true })
  @RequireCaptcha({
    action: 'data-login',
    when: failedAttempts({
      threshold: THRESHOLD,
      window: '15m',
      per: 'args.email',
      failedResult: (result) => (result as LoginPayload).ok === false,
    }),
  })
  dataLogin(@Args('email') email: string, @Args('password') password: string): LoginPayload {
    calls.push(`dataLogin:${email}`);
    return { ok: password === PASSWORD };
  }
}

describe('GraphQL failure detection: error codes and failed results (Apollo, real HTTP)', () => {
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  let risk: CaptchaRiskService;
  let next = 1;
  const newVictim = () => `victim-${next++}@example.com`;

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    app = await bootGraphqlApp(
      {
        provider: 'turnstile',
        siteKey: FakeCaptchaServer.siteKeys.turnstile,
        secretKey: FakeCaptchaServer.secrets.turnstile,
        verifyUrl: fake.verifyUrl('turnstile'),
        trustProxy: 'loopback',
      },
      [StepResolver, FailureResolver],
      { allowBatchedHttpRequests: true },
    );
    risk = app.get(CaptchaRiskService);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });
  beforeEach(() => {
    calls.length = 0;
  });

  const login = (field: string, email: string, password: string, headers = {}) =>
    postGraphql(
      app,
      { query: `mutation { ${field}(email: "${email}", password: "${password}") { ok } }` },
      { headers },
    );
  const scalarLogin = (field: string, email: string, password: string, headers = {}) =>
    postGraphql(
      app,
      { query: `mutation { ${field}(email: "${email}", password: "${password}") }` },
      { headers },
    );

  it.each(['apolloLogin', 'nestLogin'])(
    '%s: UNAUTHENTICATED failures are counted; of 10 sequential guesses, 3 reach the resolver',
    async (field) => {
      const victim = newVictim();
      const bodies = [];
      for (let i = 0; i < 10; i++) bodies.push(await scalarLogin(field, victim, `guess-${i}`));
      expect(calls).toHaveLength(THRESHOLD);
      expect(errorCodes(bodies)).toEqual({
        UNAUTHENTICATED: THRESHOLD,
        captcha_required: 10 - THRESHOLD,
      });
      const action = field === 'apolloLogin' ? 'apollo-login' : 'nest-login';
      expect(await risk.failures(action, victim)).toBe(THRESHOLD);
      // The owner, with a solved challenge, signs in; that clears the count.
      const token = fake.issueToken({ provider: 'turnstile', action });
      const owner = await scalarLogin(field, victim, PASSWORD, { 'x-captcha-token': token });
      expect(owner).toEqual({ data: { [field]: true } });
      expect(await scalarLogin(field, victim, PASSWORD)).toEqual({ data: { [field]: true } });
    },
  );

  it('a success refunds its own attempt only', async () => {
    const victim = newVictim();
    await scalarLogin('apolloLogin', victim, 'wrong');
    expect(await scalarLogin('apolloLogin', victim, PASSWORD)).toEqual({
      data: { apolloLogin: true },
    });
    expect(await risk.failures('apollo-login', victim)).toBe(1);
  });

  it('failedResult: { ok: false } answers are counted; 10 sequential guesses, 3 reach the resolver', async () => {
    const victim = newVictim();
    const bodies = [];
    for (let i = 0; i < 10; i++) bodies.push(await login('dataLogin', victim, `guess-${i}`));
    expect(calls).toHaveLength(THRESHOLD);
    expect(bodies.slice(0, THRESHOLD)).toEqual(
      Array.from({ length: THRESHOLD }, () => ({ data: { dataLogin: { ok: false } } })),
    );
    expect(errorCodes(bodies)).toEqual({ captcha_required: 10 - THRESHOLD });
    // A right password ({ ok: true }) is not a failure: after a solved challenge it clears.
    const token = fake.issueToken({ provider: 'turnstile', action: 'data-login' });
    expect(await login('dataLogin', victim, PASSWORD, { 'x-captcha-token': token })).toEqual({
      data: { dataLogin: { ok: true } },
    });
    expect(await risk.failures('data-login', victim)).toBe(0);
  });

  it('a batch of 20 guesses of each kind: 3 of each reach the resolver, per alias and operation', async () => {
    const victim = newVictim();
    const batch: GraphqlOperation[] = Array.from({ length: 20 }, (_, i) => ({
      query: `mutation {
        a: apolloLogin(email: "${victim}", password: "g${i}")
        d: dataLogin(email: "${victim}", password: "g${i}") { ok }
      }`,
    }));
    const bodies = await postGraphql(app, batch);
    expect(calls.filter((call) => call.startsWith('apolloLogin:'))).toHaveLength(THRESHOLD);
    expect(calls.filter((call) => call.startsWith('dataLogin:'))).toHaveLength(THRESHOLD);
    expect(errorCodes(bodies)).toEqual({
      UNAUTHENTICATED: THRESHOLD,
      captcha_required: 2 * (20 - THRESHOLD),
    });
    expect(await postGraphql(app, { query: '{ hello }' })).toEqual({ data: { hello: 'world' } });
  });
});
