import type { INestApplication } from '@nestjs/common';
import { CaptchaRiskService, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import {
  aliased,
  ATTACKER,
  bootGraphqlApp,
  errorCodes,
  LoginResolver,
  postGraphql,
  reached,
  StepResolver,
  VICTIM,
} from '../support/graphql-login';

jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

/**
 * Issue 15, item 4: the operations of one GraphQL request (aliases, a batch) share one HTTP
 * request, but each call keeps its own checkpoint state (context, `@CaptchaResult()`, outcome).
 */
describe('GraphQL operations: state per call, not per request (Apollo, real HTTP)', () => {
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  let risk: CaptchaRiskService;
  let nextIp = 1;
  const newClient = () => `203.0.113.${nextIp++}`;

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    const options: CaptchaModuleOptions = {
      provider: 'turnstile',
      siteKey: FakeCaptchaServer.siteKeys.turnstile,
      secretKey: FakeCaptchaServer.secrets.turnstile,
      verifyUrl: fake.verifyUrl('turnstile'),
      trustProxy: 'loopback',
    };
    app = await bootGraphqlApp(options, [LoginResolver, StepResolver], {
      allowBatchedHttpRequests: true,
    });
    risk = app.get(CaptchaRiskService);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });
  beforeEach(() => {
    reached.length = 0;
  });

  const token = () => fake.issueToken({ provider: 'turnstile', action: 'step' });

  describe('@CaptchaResult() per call', () => {
    it('a calm alias does not read the verification of the alias before it (mutations run in order)', async () => {
      const body = await postGraphql(app, {
        query: `mutation ($token: String) {
          verified: step(risky: true, captchaToken: $token) { verified provider }
          calm: step(risky: false) { verified provider }
        }`,
        variables: { token: token() },
      });
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({
        verified: { verified: true, provider: 'turnstile' },
        calm: { verified: null, provider: null },
      });
    });

    it('a calm query field does not read a concurrent field’s verification', async () => {
      const body = await postGraphql(app, {
        query: `query ($token: String) {
          verified: stepQuery(risky: true, captchaToken: $token) { verified }
          calm: stepQuery(risky: false) { verified }
        }`,
        variables: { token: token() },
      });
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({ verified: { verified: true }, calm: { verified: null } });
    });

    it('each operation of a batch reads its own result', async () => {
      const bodies = await postGraphql(app, [
        {
          query: 'mutation ($t: String) { step(risky: true, captchaToken: $t) { verified } }',
          variables: { t: token() },
        },
        { query: 'mutation { step(risky: false) { verified } }' },
        { query: 'query { stepQuery(risky: false) { verified } }' },
      ]);
      expect(bodies.map((body) => body.data)).toEqual([
        { step: { verified: true } },
        { step: { verified: null } },
        { stepQuery: { verified: null } },
      ]);
    });

    it('a risky alias without a token is refused while the verified one passes', async () => {
      const body = await postGraphql(app, {
        query: `mutation ($token: String) {
          verified: step(risky: true, captchaToken: $token) { verified }
          unverified: step(risky: true) { verified }
        }`,
        variables: { token: token() },
      });
      expect(body.data).toEqual({ verified: { verified: true }, unverified: null });
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]).toMatchObject({
        path: ['unverified'],
        extensions: { code: 'captcha_required' },
      });
    });
  });

  describe('outcomes credited to the call’s own subject', () => {
    it('failures of the alias naming the victim count for the victim, not for the attacker’s alias', async () => {
      const victim = `v${nextIp}@example.com`;
      const body = await postGraphql(
        app,
        {
          // Concurrent query fields: the attacker's own (right) sign-in next to a guess at another account.
          query: `query {
            guess: checkLogin(email: "${victim}", password: "wrong")
            own: checkLogin(email: "${ATTACKER.email}", password: "${ATTACKER.password}")
          }`,
        },
        { ip: newClient() },
      );
      expect(body.data).toEqual({ guess: null, own: true });
      expect(errorCodes(body)).toEqual({ UNAUTHENTICATED: 1 });
      expect(await risk.failures('login', victim)).toBe(1);
      expect(await risk.failures('login', ATTACKER.email)).toBe(0);
    });

    it('in a batch, each operation’s failure goes to its own subject', async () => {
      const victim = `w${nextIp}@example.com`;
      const other = `x${nextIp}@example.com`;
      const bodies = await postGraphql(
        app,
        [
          { query: `mutation { login(email: "${victim}", password: "wrong") }` },
          {
            query: `mutation { login(email: "${ATTACKER.email}", password: "${ATTACKER.password}") }`,
          },
          { query: `mutation { login(email: "${other}", password: "wrong") }` },
          { query: `mutation { login(email: "${victim}", password: "wrong-2") }` },
        ],
        { ip: newClient() },
      );
      expect(bodies.map((body) => body.data?.login ?? null)).toEqual([null, true, null, null]);
      expect(await risk.failures('login', victim)).toBe(2);
      expect(await risk.failures('login', other)).toBe(1);
      expect(await risk.failures('login', ATTACKER.email)).toBe(0);
    });

    it('the outcome interceptor reports per alias: a success between failures refunds only its own attempt', async () => {
      const victim = `y${nextIp}@example.com`;
      const body = await postGraphql(
        app,
        {
          query: `mutation {
            a: login(email: "${victim}", password: "wrong")
            b: login(email: "${VICTIM.email}", password: "${VICTIM.password}")
            c: login(email: "${victim}", password: "wrong-2")
          }`,
        },
        { ip: newClient() },
      );
      expect(body.data).toEqual({ a: null, b: true, c: null });
      expect(await risk.failures('login', victim)).toBe(2);
      expect(await risk.failures('login', VICTIM.email)).toBe(0);
    });
  });

  it('the app still answers afterwards', async () => {
    expect(await postGraphql(app, { query: '{ hello }' })).toEqual({ data: { hello: 'world' } });
    expect(aliased('query', 1, () => 'hello')).toBe('query { a0: hello }');
  });
});
