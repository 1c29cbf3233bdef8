import { type INestApplication, type Type, UnauthorizedException } from '@nestjs/common';
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
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import {
  CaptchaModule,
  CaptchaResult,
  failedAttempts,
  RequireCaptcha,
  type CaptchaModuleOptions,
  type CaptchaVerification,
} from 'nestjs-captcha';

/**
 * A GraphQL sign-in for the operations specs (aliases, batches, subjects): the brute-force
 * policy of the README (a challenge after 3 failures in 15 minutes), counted per e-mail argument
 * or per IP. Specs must mock `@as-integrations/express5` with `apollo-express-middleware` (Jest
 * hoists `jest.mock` only within the spec file itself).
 */
export const THRESHOLD = 3;

export const VICTIM = { email: 'victim@example.com', password: 'victim-secret' };
export const ATTACKER = { email: 'attacker@example.com', password: 'attackers-own' };
const PASSWORDS: Record<string, string> = {
  [VICTIM.email]: VICTIM.password,
  [ATTACKER.email]: ATTACKER.password,
};

/** Every call that reached a sign-in resolver, as `field:email` (the attacker's yield). */
export const reached: string[] = [];

async function checkPassword(field: string, email: string, password: string): Promise<void> {
  reached.push(`${field}:${email}`);
  // Like a real hash: the calls of one request overlap.
  await sleep(5);
  if (PASSWORDS[email.toLowerCase()] !== password) throw new UnauthorizedException();
}

@InputType()
export class LoginInput {
  @Field()
  email!: string;

  @Field()
  password!: string;
}

// Nullable fields, so that one refused alias does not null the whole answer.
const perEmail = (per: string) => failedAttempts({ threshold: THRESHOLD, window: '15m', per });

@Resolver()
export class LoginResolver {
  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({ action: 'login', when: perEmail('args.email') })
  async login(@Args('email') email: string, @Args('password') password: string): Promise<boolean> {
    await checkPassword('login', email, password);
    return true;
  }

  /** A query with the same counter: aliased query fields run concurrently, unlike mutations. */
  @Query(() => Boolean, { nullable: true })
  @RequireCaptcha({ action: 'login', when: perEmail('args.email') })
  async checkLogin(
    @Args('email') email: string,
    @Args('password') password: string,
  ): Promise<boolean> {
    await checkPassword('checkLogin', email, password);
    return true;
  }

  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({ action: 'login', when: perEmail('args.input.email') })
  async signIn(@Args('input') input: LoginInput): Promise<boolean> {
    await checkPassword('signIn', input.email, input.password);
    return true;
  }

  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({
    action: 'login-ip',
    when: failedAttempts({ threshold: THRESHOLD, window: '15m', per: 'ip' }),
  })
  async loginByIp(
    @Args('email') email: string,
    @Args('password') password: string,
  ): Promise<boolean> {
    await checkPassword('loginByIp', email, password);
    return true;
  }
}

@ObjectType()
export class StepPayload {
  @Field(() => Boolean, { nullable: true })
  verified?: boolean | null;

  @Field(() => String, { nullable: true })
  provider?: string | null;
}

/**
 * A step-up: challenged only when the call says it is risky; the result is read per call. A calm
 * call is judged late (after 50 ms), so that a verified call beside it has set its result by then.
 */
const risky = async (context: { input?: unknown }): Promise<boolean> => {
  if ((context.input as { risky?: unknown } | undefined)?.risky === true) return true;
  await sleep(50);
  return false;
};

@Resolver()
export class StepResolver {
  @Mutation(() => StepPayload, { nullable: true })
  @RequireCaptcha({ action: 'step', when: risky })
  step(
    @Args('risky') _risky: boolean,
    @Args('captchaToken', { type: () => String, nullable: true }) _token: string | null,
    @CaptchaResult() captcha?: CaptchaVerification,
  ): StepPayload {
    return { verified: captcha?.success ?? null, provider: captcha?.provider ?? null };
  }

  @Query(() => StepPayload, { nullable: true })
  @RequireCaptcha({ action: 'step', when: risky })
  stepQuery(
    @Args('risky') _risky: boolean,
    @Args('captchaToken', { type: () => String, nullable: true }) _token: string | null,
    @CaptchaResult() captcha?: CaptchaVerification,
  ): StepPayload {
    return { verified: captcha?.success ?? null, provider: captcha?.provider ?? null };
  }

  @Query(() => String)
  hello(): string {
    return 'world';
  }
}

/** Boots a Nest app with Apollo (Express) on 127.0.0.1 and the captcha module. */
export async function bootGraphqlApp(
  options: CaptchaModuleOptions,
  resolvers: Type[],
  graphql: Partial<ApolloDriverConfig> = {},
): Promise<INestApplication> {
  const app = await createGraphqlApp(options, resolvers, graphql);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** The app of {@link bootGraphqlApp}, not started yet (start-up checks run on `init()`). */
export async function createGraphqlApp(
  options: CaptchaModuleOptions,
  resolvers: Type[],
  graphql: Partial<ApolloDriverConfig> = {},
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      CaptchaModule.forRoot(options),
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
  return moduleRef.createNestApplication({ logger: false });
}

export interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions: { code: string; details?: Record<string, unknown> };
}

export interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: GraphqlError[];
}

/** One GraphQL operation. */
export interface GraphqlOperation {
  query: string;
  variables?: Record<string, unknown>;
}

/**
 * Posts one operation or a batch (an array) from `ip`; the answer must come within `timeoutMs`,
 * with `status` (200: GraphQL answers refusals in `errors[]`; 400 for an invalid operation).
 */
export async function postGraphql<T extends GraphqlOperation | GraphqlOperation[]>(
  app: INestApplication,
  body: T,
  {
    ip = '198.51.100.1',
    timeoutMs = 5_000,
    headers = {},
    status = 200,
  }: { ip?: string; timeoutMs?: number; headers?: Record<string, string>; status?: number } = {},
): Promise<T extends unknown[] ? GraphqlBody[] : GraphqlBody> {
  const res = await request(app.getHttpServer())
    .post('/graphql')
    .set({ ...headers, 'x-forwarded-for': ip })
    .timeout(timeoutMs)
    .send(body);
  expect(res.status).toBe(status);
  return res.body as T extends unknown[] ? GraphqlBody[] : GraphqlBody;
}

/** `count` aliased calls of `field` in one operation, `a0`…`aN`. */
export function aliased(
  kind: 'query' | 'mutation',
  count: number,
  call: (i: number) => string,
): string {
  return `${kind} { ${Array.from({ length: count }, (_, i) => `a${i}: ${call(i)}`).join(' ')} }`;
}

/** The codes of a body's errors, e.g. `{ captcha_required: 17, UNAUTHENTICATED: 3 }`. */
export function errorCodes(bodies: GraphqlBody | GraphqlBody[]): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
    for (const error of body.errors ?? []) {
      codes[error.extensions.code] = (codes[error.extensions.code] ?? 0) + 1;
    }
  }
  return codes;
}
