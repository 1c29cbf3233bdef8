import type { INestApplication } from '@nestjs/common';
import {
  Args,
  Field,
  ID,
  Int,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { RequireCaptcha, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import {
  bootGraphqlApp,
  errorCodes,
  postGraphql,
  type GraphqlBody,
} from '../support/graphql-login';

// `@nestjs/apollo` loads `@as-integrations/express5` for Express; it is not installed here, so a
// faithful stand-in is used. Everything else is the real Apollo driver and Apollo Server.
jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

// Step-up on GraphQL (README: Step-up): one operation spends one grant. `posts { privateNote }`
// resolves the protected field once per post; they share one verification of the token, and so
// one step-up grant. Aliases are separate fields and spend their own.

@ObjectType()
class Post {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  privateNote?: string;
}

@Resolver(() => Post)
class PostResolver {
  @Query(() => [Post])
  posts(@Args('count', { type: () => Int }) count: number): Post[] {
    return Array.from({ length: Math.min(count, 10) }, (_, i) => ({ id: String(i + 1) }));
  }

  @ResolveField(() => String, { nullable: true })
  @RequireCaptcha({ action: 'note', minScore: 0.5, stepUp: 'recaptcha-v2' })
  privateNote(@Parent() post: Post): string {
    return `note of ${post.id}`;
  }
}

const V2 = FakeCaptchaServer.recaptchaV2Keys;
const POSTS = '{ posts(count: 3) { id privateNote } }';

describe('GraphQL: step-up once per operation', () => {
  let fake: FakeCaptchaServer;
  let app: INestApplication;
  let ipCounter = 0;
  const nextIp = () => `203.0.113.${++ipCounter}`;

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    const options: CaptchaModuleOptions = {
      provider: 'recaptcha',
      siteKey: FakeCaptchaServer.siteKeys.recaptcha,
      secretKey: FakeCaptchaServer.secrets.recaptcha,
      verifyUrl: fake.verifyUrl('recaptcha'),
      stepUp: { provider: 'recaptcha-v2', siteKey: V2.siteKey, secretKey: V2.secret },
      trustProxy: 'loopback',
    };
    app = await bootGraphqlApp(options, [PostResolver], {
      fieldResolverEnhancers: ['guards', 'interceptors', 'filters'],
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  const lowScore = () => fake.issueToken({ provider: 'recaptcha', action: 'note', score: 0.1 });
  const checkbox = () => fake.issueToken({ provider: 'recaptcha', siteKey: V2.siteKey });
  const send = (query: string, ip: string, headers: Record<string, string>) =>
    postGraphql(app, { query }, { ip, headers }) as Promise<GraphqlBody>;
  const notes = (body: GraphqlBody) =>
    ((body.data?.posts ?? []) as { privateNote: string | null }[]).map((p) => p.privateNote);

  it('steps every post up on one low score, then lets one checkbox answer read them all', async () => {
    const ip = nextIp();
    const low = await send(POSTS, ip, { 'x-captcha-token': lowScore() });
    expect(errorCodes(low)).toEqual({ captcha_required: 3 });
    expect(low.errors![0].extensions.details).toMatchObject({
      step_up: true,
      reason: 'score_too_low',
      answer_as: 'recaptcha-v2',
    });

    const answered = await send(POSTS, ip, {
      'x-captcha-token': checkbox(),
      'x-captcha-provider': 'recaptcha-v2',
    });
    expect(answered.errors).toBeUndefined();
    expect(notes(answered)).toEqual(['note of 1', 'note of 2', 'note of 3']);

    // The grant is spent: the next operation's checkbox answer is refused for every post.
    const again = await send(POSTS, ip, {
      'x-captcha-token': checkbox(),
      'x-captcha-provider': 'recaptcha-v2',
    });
    expect(errorCodes(again)).toEqual({ captcha_invalid: 3 });
    expect(again.errors!.map((e) => e.extensions.details?.code)).toEqual([
      'step_up_not_granted',
      'step_up_not_granted',
      'step_up_not_granted',
    ]);
  });

  it('makes aliases spend a grant each: one low score answers one of them', async () => {
    const ip = nextIp();
    await send(POSTS, ip, { 'x-captcha-token': lowScore() });
    const aliased = await send(
      '{ a: posts(count: 1) { privateNote } b: posts(count: 1) { privateNote } }',
      ip,
      { 'x-captcha-token': checkbox(), 'x-captcha-provider': 'recaptcha-v2' },
    );
    const a = (aliased.data?.a as { privateNote: string | null }[])[0].privateNote;
    const b = (aliased.data?.b as { privateNote: string | null }[])[0].privateNote;
    expect([a, b].filter((note) => note !== null)).toHaveLength(1);
    expect(errorCodes(aliased)).toEqual({ captcha_invalid: 1 });
  });
});
