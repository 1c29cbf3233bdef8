import { UnauthorizedException, type INestApplication, type Type } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Args,
  Field,
  GraphQLModule,
  ID,
  Int,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
  Subscription,
} from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CaptchaModule,
  CaptchaResult,
  failedAttempts,
  RequireCaptcha,
  SkipCaptcha,
  type CaptchaModuleOptions,
  type CaptchaVerification,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';

// `@nestjs/apollo` loads `@as-integrations/express5` for Express; it is not installed here, so a
// faithful stand-in is used. Everything else is the real Apollo driver and Apollo Server.
jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

/** A refused request is answered within this (no hang), whatever the attack. */
const ANSWER_WITHIN_MS = 5000;
const ENHANCERS = ['guards', 'interceptors', 'filters'] as const;

@ObjectType()
class Post {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  @Field(() => String, { nullable: true })
  privateNote?: string;

  @Field(() => Boolean, { nullable: true })
  verified?: boolean;
}

@Resolver(() => Post)
class PostResolver {
  @Query(() => String)
  hello(): string {
    return 'world';
  }

  @Query(() => [Post])
  posts(@Args('count', { type: () => Int }) count: number): Post[] {
    return Array.from({ length: Math.min(count, 50) }, (_, i) => ({
      id: String(i + 1),
      title: `post ${i + 1}`,
    }));
  }

  @ResolveField(() => String, { nullable: true })
  @RequireCaptcha({ action: 'note' })
  privateNote(@Parent() post: Post): string {
    return `note of ${post.id}`;
  }

  /** What `@CaptchaResult()` holds for this field: its own verification, per field. */
  @ResolveField(() => Boolean, { nullable: true })
  @RequireCaptcha({ action: 'note' })
  verified(@CaptchaResult() captcha?: CaptchaVerification): boolean {
    return captcha?.success === true;
  }

  @Query(() => String, { nullable: true })
  @RequireCaptcha({ action: 'secret' })
  secret(): string {
    return 's3cret';
  }

  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({ action: 'login' })
  login(
    @Args('captchaToken', { type: () => String, nullable: true }) _captchaToken: string | null,
  ): boolean {
    return true;
  }
}

@ObjectType()
class Account {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field(() => [String])
  roles!: string[];
}

/** A class-level requirement: it covers `account`, not the field resolvers under it. */
@Resolver(() => Account)
@RequireCaptcha({ action: 'account' })
class AccountResolver {
  @Query(() => Account)
  account(): Account {
    return { id: '1', email: '', roles: [] };
  }

  @ResolveField(() => String)
  email(@Parent() account: Account): string {
    return `user${account.id}@example.com`;
  }

  @ResolveField(() => [String])
  roles(): string[] {
    return ['reader'];
  }
}

@ObjectType()
class Vault {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  contents?: string;
}

/** A field counting failed PINs: its outcome reaches `failedAttempts` through the interceptor. */
@Resolver(() => Vault)
class VaultResolver {
  @Query(() => Vault)
  vault(): Vault {
    return { id: 'v' };
  }

  @ResolveField(() => String, { nullable: true })
  @RequireCaptcha({ action: 'vault', when: failedAttempts({ threshold: 2, window: '1m' }) })
  contents(@Args('pin') pin: string): string {
    if (pin !== '1234') throw new UnauthorizedException();
    return 'gold';
  }
}

interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions: { code: string; details?: Record<string, unknown> };
}

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: GraphqlError[];
}

const captchaOptions = (fake: FakeCaptchaServer): CaptchaModuleOptions => ({
  provider: 'turnstile',
  siteKey: FakeCaptchaServer.siteKeys.turnstile,
  secretKey: FakeCaptchaServer.secrets.turnstile,
  verifyUrl: fake.verifyUrl('turnstile'),
  timeoutMs: 1000,
});

/** Boots an app with Apollo over real HTTP; rejects when the app refuses to start. */
async function startGraphqlApp(
  fake: FakeCaptchaServer,
  resolvers: Type[],
  graphql: Partial<ApolloDriverConfig> = {},
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      CaptchaModule.forRoot(captchaOptions(fake)),
      GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        autoSchemaFile: true,
        playground: false,
        includeStacktraceInErrorResponses: false,
        ...graphql,
      }),
    ],
    providers: resolvers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

describe('GraphQL field resolvers (Apollo driver, real HTTP, FakeCaptchaServer)', () => {
  let fake: FakeCaptchaServer;

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
  });

  afterAll(async () => {
    await fake.close();
  });

  const token = (action: string) => fake.issueToken({ provider: 'turnstile', action });
  const verifyCalls = () => fake.requests.filter((r) => r.provider === 'turnstile').length;

  describe('start-up', () => {
    it("refuses a protected @ResolveField under Nest's default fieldResolverEnhancers, naming the setting", async () => {
      const started = startGraphqlApp(fake, [PostResolver]);
      await expect(started).rejects.toThrow('PostResolver.privateNote');
      await expect(started).rejects.toThrow(
        "GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards', 'interceptors', 'filters'] })",
      );
      await expect(started).rejects.toThrow("lacks 'guards', 'filters'");
      // The process is alive and serves another app at once.
      const app = await startGraphqlApp(fake, [PostResolver], {
        fieldResolverEnhancers: [...ENHANCERS],
      });
      await app.close();
    });

    it("refuses it when 'filters' is left out (the answer would not be a CAPTCHA error)", async () => {
      await expect(
        startGraphqlApp(fake, [PostResolver], { fieldResolverEnhancers: ['guards'] }),
      ).rejects.toThrow(
        "PostResolver.privateNote: @RequireCaptcha() on a @ResolveField() never runs while GraphQLModule's fieldResolverEnhancers lacks 'filters'",
      );
    });

    it("asks for 'interceptors' too where the condition counts outcomes", async () => {
      @ObjectType()
      class Profile {
        @Field()
        name!: string;
      }
      @Resolver(() => Profile)
      class ProfileResolver {
        @Query(() => Profile)
        profile(): Profile {
          return { name: 'x' };
        }

        @ResolveField(() => String)
        @RequireCaptcha({ action: 'name', when: failedAttempts({ threshold: 2, window: '1m' }) })
        name(): string {
          return 'x';
        }
      }
      await expect(
        startGraphqlApp(fake, [ProfileResolver], { fieldResolverEnhancers: ['guards', 'filters'] }),
      ).rejects.toThrow(
        "ProfileResolver.name: @RequireCaptcha() on a @ResolveField() never runs while GraphQLModule's fieldResolverEnhancers lacks 'interceptors'",
      );
    });

    it('starts with a class-level requirement over field resolvers, whatever the enhancers (they are out of its scope)', async () => {
      const app = await startGraphqlApp(fake, [AccountResolver]);
      await app.close();
    });

    it('refuses @RequireCaptcha on a @Subscription, saying what to do instead', async () => {
      @Resolver()
      class FeedResolver {
        @Query(() => String)
        feedName(): string {
          return 'feed';
        }

        @Subscription(() => String)
        @RequireCaptcha({ action: 'feed' })
        feed(): AsyncIterator<string> {
          return (async function* () {})();
        }
      }
      const started = startGraphqlApp(fake, [FeedResolver]);
      await expect(started).rejects.toThrow(
        'FeedResolver.feed: @RequireCaptcha() is not supported on a GraphQL @Subscription()',
      );
      await expect(started).rejects.toThrow(
        'protect the mutation that starts the flow, or verify a token argument with CaptchaVerifier',
      );
    });

    it("refuses a class-level requirement reaching a @Subscription, unless it is @SkipCaptcha()'d", async () => {
      @Resolver()
      @RequireCaptcha({ action: 'chat' })
      class ChatResolver {
        @Query(() => String)
        room(): string {
          return 'room';
        }

        @Mutation(() => Boolean)
        send(): boolean {
          return true;
        }

        @Subscription(() => String)
        messages(): AsyncIterator<string> {
          return (async function* () {})();
        }
      }
      await expect(startGraphqlApp(fake, [ChatResolver])).rejects.toThrow(
        "ChatResolver.messages: @RequireCaptcha() is not supported on a GraphQL @Subscription() (it runs once at subscribe time, over WebSockets without an HTTP request or client IP); the resolver class's @RequireCaptcha() reaches this @Subscription() (put @SkipCaptcha() on it",
      );

      @Resolver()
      @RequireCaptcha({ action: 'chat' })
      class SkippedChatResolver {
        @Query(() => String)
        skippedRoom(): string {
          return 'room';
        }

        @Mutation(() => Boolean)
        sendSkipped(): boolean {
          return true;
        }

        @Subscription(() => String)
        @SkipCaptcha()
        skippedMessages(): AsyncIterator<string> {
          return (async function* () {})();
        }
      }
      const app = await startGraphqlApp(fake, [SkippedChatResolver]);
      await app.close();
    });
  });

  describe("fieldResolverEnhancers: ['guards', 'interceptors', 'filters']", () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await startGraphqlApp(fake, [PostResolver, AccountResolver, VaultResolver], {
        fieldResolverEnhancers: [...ENHANCERS],
        allowBatchedHttpRequests: true,
      });
    });

    afterAll(async () => {
      await app?.close();
    });

    const post = async (body: unknown, headers: Record<string, string> = {}) => {
      const res = await request(app.getHttpServer())
        .post('/graphql')
        .set(headers)
        .timeout(ANSWER_WITHIN_MS)
        .send(body as object)
        .expect(200);
      return res.body as unknown;
    };
    const gql = (query: string, headers: Record<string, string> = {}, variables = {}) =>
      post({ query, variables }, headers) as Promise<GraphqlBody>;

    it('answers a protected field without a token with captcha_required at its path; siblings resolve', async () => {
      const body = await gql('{ hello posts(count: 2) { id title privateNote } }');
      expect(body.data).toEqual({
        hello: 'world',
        posts: [
          { id: '1', title: 'post 1', privateNote: null },
          { id: '2', title: 'post 2', privateNote: null },
        ],
      });
      expect(body.errors).toHaveLength(2);
      expect(body.errors!.map((e) => e.path)).toEqual([
        ['posts', 0, 'privateNote'],
        ['posts', 1, 'privateNote'],
      ]);
      for (const error of body.errors!) {
        expect(error.extensions).toMatchObject({
          code: 'captcha_required',
          details: { provider: 'turnstile', action: 'note' },
        });
      }
    });

    it('resolves the field with a token', async () => {
      const body = await gql('{ posts(count: 1) { id privateNote } }', {
        'x-captcha-token': token('note'),
      });
      expect(body).toEqual({ data: { posts: [{ id: '1', privateNote: 'note of 1' }] } });
    });

    it('resolves the field for every item of a list with one token, asking the provider once', async () => {
      const calls = verifyCalls();
      const body = await gql('{ posts(count: 5) { id privateNote } }', {
        'x-captcha-token': token('note'),
      });
      expect(body.errors).toBeUndefined();
      expect(body.data!.posts).toEqual(
        [1, 2, 3, 4, 5].map((i) => ({ id: String(i), privateNote: `note of ${i}` })),
      );
      expect(verifyCalls() - calls).toBe(1);
    });

    it('gives every item the verification in @CaptchaResult()', async () => {
      const body = await gql('{ posts(count: 3) { verified } }', {
        'x-captcha-token': token('note'),
      });
      expect(body).toEqual({
        data: { posts: [{ verified: true }, { verified: true }, { verified: true }] },
      });
    });

    it('applies a class-level requirement to the query only: one token, children resolve', async () => {
      const without = await gql('{ account { id email roles } }');
      expect(without.errors![0]).toMatchObject({
        path: ['account'],
        extensions: { code: 'captcha_required', details: { action: 'account' } },
      });
      const body = await gql('{ account { id email roles } }', {
        'x-captcha-token': token('account'),
      });
      expect(body).toEqual({
        data: { account: { id: '1', email: 'user1@example.com', roles: ['reader'] } },
      });
    });

    it('does not let two aliases share a token: the second is duplicate', async () => {
      const shared = token('secret');
      const calls = verifyCalls();
      const body = await gql('{ a: secret b: secret }', { 'x-captcha-token': shared });
      // Attacker's yield: one alias verified, the other refused as a replay.
      const values = [body.data!.a, body.data!.b];
      expect(values.filter((v) => v === 's3cret')).toHaveLength(1);
      expect(values.filter((v) => v === null)).toHaveLength(1);
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0].extensions).toMatchObject({
        code: 'captcha_invalid',
        details: { reason: 'duplicate' },
      });
      expect(verifyCalls() - calls).toBe(1);
    });

    it('does not let aliased mutations share a token argument', async () => {
      const body = await gql(
        'mutation ($t: String) { a: login(captchaToken: $t) b: login(captchaToken: $t) }',
        {},
        { t: token('login') },
      );
      expect(body.data).toEqual({ a: true, b: null });
      expect(body.errors![0]).toMatchObject({
        path: ['b'],
        extensions: { code: 'captcha_invalid', details: { reason: 'duplicate' } },
      });
    });

    it('does not let aliases of a field inside a list share a token', async () => {
      const body = await gql('{ posts(count: 3) { n1: privateNote n2: privateNote } }', {
        'x-captcha-token': token('note'),
      });
      const posts = body.data!.posts as { n1: string | null; n2: string | null }[];
      // Each alias is its own field: one of them verified the token, the other is a replay.
      const resolved = ['n1', 'n2'].filter((alias) =>
        posts.every((p) => p[alias as 'n1'] !== null),
      );
      expect(resolved).toHaveLength(1);
      expect(body.errors).toHaveLength(3);
      for (const error of body.errors!) {
        expect(error.extensions).toMatchObject({
          code: 'captcha_invalid',
          details: { reason: 'duplicate' },
        });
      }
    });

    it('does not let the operations of a batch share a verification', async () => {
      // The same query text is parsed once and its operation node reused (Apollo's document
      // cache): the batch's operations share that node but not a verification.
      await gql('{ secret }');
      const shared = token('secret');
      const calls = verifyCalls();
      const answers = (await post([{ query: '{ secret }' }, { query: '{ secret }' }], {
        'x-captcha-token': shared,
      })) as GraphqlBody[];
      expect(answers).toHaveLength(2);
      const passed = answers.filter((a) => a.data?.secret === 's3cret');
      const refused = answers.filter((a) => a.errors?.[0]?.extensions.code === 'captcha_invalid');
      expect(passed).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0].errors![0].extensions.details).toMatchObject({ reason: 'duplicate' });
      expect(verifyCalls() - calls).toBe(1);
    });

    it('does not let a later request with the same query reuse a verification', async () => {
      const shared = token('note');
      const query = '{ posts(count: 2) { privateNote } }';
      const first = await gql(query, { 'x-captcha-token': shared });
      expect(first.errors).toBeUndefined();
      const replay = await gql(query, { 'x-captcha-token': shared });
      expect(replay.data).toEqual({ posts: [{ privateNote: null }, { privateNote: null }] });
      expect(replay.errors!.map((e) => e.extensions.details?.reason)).toEqual([
        'duplicate',
        'duplicate',
      ]);
    });

    it('answers a failed token once per item, asking the provider once', async () => {
      const calls = verifyCalls();
      const body = await gql('{ posts(count: 4) { privateNote } }', {
        'x-captcha-token': 'not-a-real-token',
      });
      expect(body.errors).toHaveLength(4);
      expect(body.errors!.every((e) => e.extensions.details?.reason === 'invalid')).toBe(true);
      expect(verifyCalls() - calls).toBe(1);
    });

    it('counts failed attempts of a field resolver, then challenges it', async () => {
      const open = (pin: string, headers: Record<string, string> = {}) =>
        gql(`{ vault { id contents(pin: "${pin}") } }`, headers);
      for (let i = 0; i < 2; i++) {
        const failed = await open('0000');
        expect(failed.errors![0].extensions.code).toBe('UNAUTHENTICATED');
      }
      const challenged = await open('1234');
      expect(challenged.data).toEqual({ vault: { id: 'v', contents: null } });
      expect(challenged.errors![0]).toMatchObject({
        path: ['vault', 'contents'],
        extensions: { code: 'captcha_required', details: { action: 'vault' } },
      });
      const solved = await open('1234', { 'x-captcha-token': token('vault') });
      expect(solved).toEqual({ data: { vault: { id: 'v', contents: 'gold' } } });
    });
  });
});
