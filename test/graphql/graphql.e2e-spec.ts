import { existsSync, readdirSync } from 'node:fs';
import { type INestApplication, UnauthorizedException } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Args,
  Field,
  GraphQLModule,
  InputType,
  Mutation,
  ObjectType,
  Query,
  Resolver,
} from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CaptchaResult,
  failedAttempts,
  RequireCaptcha,
  SkipCaptcha,
  type CaptchaVerification,
} from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';

// `@nestjs/apollo` loads `@as-integrations/express5` for Express; it is not installed here, so a
// faithful stand-in is used. Everything else is the real Apollo driver and Apollo Server.
jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

@ObjectType()
class CommentPayload {
  @Field()
  text!: string;

  @Field(() => String, { nullable: true })
  provider?: string;

  @Field(() => Boolean, { nullable: true })
  success?: boolean;
}

@InputType()
class CaptchaInput {
  @Field()
  token!: string;

  @Field(() => String, { nullable: true })
  provider?: string;
}

@Resolver()
class CommentResolver {
  @Query(() => String)
  hello(): string {
    return 'world';
  }

  @Query(() => String, { nullable: true })
  @RequireCaptcha({ action: 'secret' })
  secret(): string {
    return 's3cret';
  }

  @Mutation(() => CommentPayload)
  @RequireCaptcha({ action: 'comment' })
  comment(
    @Args('text') text: string,
    // Declared so clients may send the token as an argument; the guard reads it from `args`.
    @Args('captchaToken', { type: () => String, nullable: true }) _captchaToken: string | null,
    @CaptchaResult() captcha?: CaptchaVerification,
  ): CommentPayload {
    return { text, provider: captcha?.provider, success: captcha?.success };
  }

  @Mutation(() => CommentPayload)
  @RequireCaptcha({ action: 'signup' })
  signup(
    @Args('captcha', { type: () => CaptchaInput }) _captcha: CaptchaInput,
    @CaptchaResult() captcha?: CaptchaVerification,
  ): CommentPayload {
    return { text: 'signed up', provider: captcha?.provider, success: captcha?.success };
  }
}

@Resolver()
class LoginResolver {
  /** Counted by the outcome interceptor: a resolver's failure has no HTTP status of its own. */
  @Mutation(() => Boolean)
  @RequireCaptcha({ action: 'gql-login', when: failedAttempts({ threshold: 2, window: '1m' }) })
  login(@Args('password') password: string): boolean {
    if (password !== 'right') throw new UnauthorizedException();
    return true;
  }
}

@Resolver()
@RequireCaptcha({ action: 'admin' })
class AdminResolver {
  @Mutation(() => Boolean)
  purge(): boolean {
    return true;
  }

  @Query(() => Boolean)
  @SkipCaptcha()
  health(): boolean {
    return true;
  }
}

interface GraphqlError {
  message: string;
  path?: string[];
  extensions: { code: string; statusCode?: number; details?: Record<string, unknown> };
}

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: GraphqlError[];
}

const COMMENT = `mutation ($token: String) {
  comment(text: "hi", captchaToken: $token) { text provider success }
}`;

describe('GraphQL resolvers (Apollo driver, real HTTP)', () => {
  let app: INestApplication;
  const filesBefore = readdirSync(process.cwd());

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CaptchaTestingModule.forRoot(),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          playground: false,
          // Keep the answers small: no stack traces in `extensions`.
          includeStacktraceInErrorResponses: false,
        }),
      ],
      providers: [CommentResolver, AdminResolver, LoginResolver],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  const gql = async (
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Promise<GraphqlBody> => {
    const res = await request(app.getHttpServer())
      .post('/graphql')
      .set(headers)
      .send({ query, variables })
      .expect(200);
    return res.body as GraphqlBody;
  };

  it('builds the schema in memory (autoSchemaFile: true writes no file)', () => {
    expect(readdirSync(process.cwd())).toEqual(filesBefore);
    expect(existsSync('schema.gql')).toBe(false);
  });

  it('leaves unprotected queries alone', async () => {
    expect(await gql('{ hello }')).toEqual({ data: { hello: 'world' } });
  });

  it('answers a protected mutation without a token with captcha_required and its details', async () => {
    const body = await gql(COMMENT);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({
      message: 'Please complete the verification step to continue.',
      path: ['comment'],
      extensions: {
        code: 'captcha_required',
        statusCode: 403,
        details: { provider: 'turnstile', site_key: 'test-site-key', action: 'comment' },
      },
    });
  });

  it('accepts the token as the captchaToken argument and exposes @CaptchaResult()', async () => {
    const body = await gql(COMMENT, { token: CAPTCHA_TEST_TOKENS.freshPass() });
    expect(body).toEqual({
      data: { comment: { text: 'hi', provider: 'turnstile', success: true } },
    });
  });

  it('accepts the token in the x-captcha-token header when the argument is left out', async () => {
    const body = await gql(COMMENT, {}, { 'x-captcha-token': CAPTCHA_TEST_TOKENS.freshPass() });
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ comment: { text: 'hi', provider: 'turnstile', success: true } });
  });

  it('prefers the argument over the header', async () => {
    const body = await gql(
      COMMENT,
      { token: CAPTCHA_TEST_TOKENS.fail('expired') },
      { 'x-captcha-token': CAPTCHA_TEST_TOKENS.freshPass() },
    );
    expect(body.errors![0].extensions).toMatchObject({
      code: 'captcha_invalid',
      details: { reason: 'expired' },
    });
  });

  it('accepts a captcha: { token, provider } input argument', async () => {
    const signup = `mutation ($captcha: CaptchaInput!) { signup(captcha: $captcha) { provider success } }`;
    const ok = await gql(signup, {
      captcha: { token: CAPTCHA_TEST_TOKENS.freshPass(), provider: 'turnstile' },
    });
    expect(ok).toEqual({ data: { signup: { provider: 'turnstile', success: true } } });
    // A provider the route does not accept is answered like a missing token, naming the right one.
    const other = await gql(signup, {
      captcha: { token: CAPTCHA_TEST_TOKENS.freshPass(), provider: 'hcaptcha' },
    });
    expect(other.errors![0].extensions).toMatchObject({
      code: 'captcha_required',
      details: { provider: 'turnstile', action: 'signup' },
    });
  });

  it('answers a failed token with captcha_invalid and the reason', async () => {
    const body = await gql(COMMENT, { token: CAPTCHA_TEST_TOKENS.fail('duplicate') });
    expect(body.data).toBeNull();
    expect(body.errors![0].extensions).toMatchObject({
      code: 'captcha_invalid',
      statusCode: 403,
      details: {
        reason: 'duplicate',
        provider: 'turnstile',
        site_key: 'test-site-key',
        action: 'comment',
      },
    });
  });

  it('answers a provider outage with captcha_unavailable', async () => {
    const body = await gql(COMMENT, { token: CAPTCHA_TEST_TOKENS.unavailable });
    expect(body.errors![0].extensions).toMatchObject({
      code: 'captcha_unavailable',
      statusCode: 503,
      details: { provider: 'turnstile', fallback: null },
      retryAfter: expect.any(Number),
    });
  });

  it('protects every field of a class-level @RequireCaptcha resolver except @SkipCaptcha ones', async () => {
    expect(await gql('{ health }')).toEqual({ data: { health: true } });
    const purge = await gql('mutation { purge }');
    expect(purge.errors![0].extensions).toMatchObject({
      code: 'captcha_required',
      details: { action: 'admin' },
    });
    expect(
      await gql('mutation { purge }', {}, { 'x-captcha-token': CAPTCHA_TEST_TOKENS.freshPass() }),
    ).toEqual({ data: { purge: true } });
  });

  it('counts failed logins of a failedAttempts resolver and then challenges', async () => {
    const login = (password: string) =>
      gql(`mutation { login(password: "${password}") }`, {}, { 'x-forwarded-for': '1.1.1.1' });
    for (let i = 0; i < 2; i++) {
      const failed = await login('wrong');
      expect(failed.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    const challenged = await login('right');
    expect(challenged.errors?.[0].extensions).toMatchObject({
      code: 'captcha_required',
      details: { action: 'gql-login' },
    });
  });

  it('fails only the protected field of a mixed query', async () => {
    const body = await gql('{ hello secret }');
    expect(body.data).toEqual({ hello: 'world', secret: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({
      path: ['secret'],
      extensions: { code: 'captcha_required', details: { action: 'secret' } },
    });
  });
});
