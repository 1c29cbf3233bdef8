import type { INestApplication } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, GraphQLModule, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CaptchaModule, RequireCaptcha } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';

// `@nestjs/apollo` loads `@as-integrations/express5` for Express; it is not installed here, so a
// faithful stand-in is used. Everything else is the real Apollo driver and Apollo Server.
jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

const KEY = 'f3b1c9a07e2d4856b0a1c7e9d3f5a2b4c6e8d0f1a3b5c7d9';

@Resolver()
class CommentResolver {
  @Query(() => String)
  hello(): string {
    return 'world';
  }

  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({ action: 'comment' })
  comment(
    // Declared so clients may send the token as an argument; the guard reads it from `args`.
    @Args('captchaToken', { type: () => String, nullable: true }) _token: string | null,
  ): boolean {
    return true;
  }

  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({ action: 'payout', fresh: true })
  payout(@Args('captchaToken', { type: () => String, nullable: true }) _token: string | null) {
    return true;
  }
}

const COMMENT = 'mutation ($token: String) { comment(captchaToken: $token) }';
const PAYOUT = 'mutation { payout }';

describe('clearance over GraphQL (Apollo driver, real HTTP)', () => {
  let fake: FakeCaptchaServer;
  let app: INestApplication;

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CaptchaModule.forRoot({
          provider: 'hcaptcha',
          siteKey: FakeCaptchaServer.siteKeys.hcaptcha,
          secretKey: FakeCaptchaServer.secrets.hcaptcha,
          verifyUrl: fake.verifyUrl('hcaptcha'),
          clearance: { ttlSeconds: 600, key: KEY, actions: ['comment', 'payout'] },
        }),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          playground: false,
          includeStacktraceInErrorResponses: false,
        }),
      ],
      providers: [CommentResolver],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  const gql = (query: string, variables: Record<string, unknown> = {}) =>
    request(app.getHttpServer()).post('/graphql').send({ query, variables });

  it('issues a clearance on a verified mutation and honours it by header and by cookie', async () => {
    const solved = await gql(COMMENT, { token: fake.issueToken({ provider: 'hcaptcha' }) });
    expect(solved.body).toEqual({ data: { comment: true } });
    const value = solved.headers['x-captcha-clearance'] as string;
    expect(value).toMatch(/^[\w-]+\.[\w-]{43}$/);
    const cookies = solved.headers['set-cookie'] as unknown as string[];
    expect(cookies).toEqual([expect.stringMatching(/^captcha_clearance=[\w.-]+; Max-Age=600;/)]);

    const byHeader = await gql(COMMENT).set('x-captcha-clearance', value);
    expect(byHeader.body).toEqual({ data: { comment: true } });
    const byCookie = await gql(COMMENT).set('cookie', `captcha_clearance=${value}`);
    expect(byCookie.body).toEqual({ data: { comment: true } });

    // Without it: a token is demanded.
    const none = await gql(COMMENT);
    expect(none.body.errors?.[0]?.extensions?.code).toBe('captcha_required');
    // A fresh: true mutation ignores it.
    const fresh = await gql(PAYOUT).set('x-captcha-clearance', value);
    expect(fresh.body.errors?.[0]?.extensions?.code).toBe('captcha_required');
  });
});
