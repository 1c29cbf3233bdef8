import type { AddressInfo } from 'node:net';
import {
  Controller,
  type INestApplication,
  type INestMicroservice,
  UnauthorizedException,
} from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Args,
  Field,
  GraphQLModule,
  Mutation,
  ObjectType,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import {
  ClientProxyFactory,
  type ClientProxy,
  MessagePattern,
  type MicroserviceOptions,
  Payload,
  Transport,
} from '@nestjs/microservices';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { lastValueFrom, timeout } from 'rxjs';
import request from 'supertest';
import { failedAttempts, RequireCaptcha } from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';
import { freePort } from '../support/free-port';
import { Connection } from '../support/ws-connection';

// `@nestjs/apollo` loads `@as-integrations/express5` for Express; it is not installed here, so a
// faithful stand-in is used. Everything else is the real Apollo driver and Apollo Server.
jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

/**
 * The examples of docs/graphql-websockets.md, run: each `#region` below is shown there verbatim
 * (test/docs/doc-examples.spec.ts keeps them equal). One complete example per transport, and the
 * answers the page promises, over the real transport.
 */
const PASSWORD = 'correct horse';

// #region graphql-resolver
@ObjectType()
class Account {
  @Field()
  email!: string;
}

@Resolver(() => Account)
class AccountResolver {
  /** A challenge after 3 failed sign-ins to one account within 15 minutes. */
  @Mutation(() => Account, { nullable: true })
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 3, window: '15m', per: 'args.email' }),
  })
  login(
    @Args('email') email: string,
    @Args('password') password: string,
    // Declared so clients can send the token here; the guard reads it from the arguments.
    @Args('captchaToken', { type: () => String, nullable: true }) _captchaToken?: string,
  ): Account {
    if (password !== PASSWORD) throw new UnauthorizedException();
    return { email };
  }

  @Query(() => Account)
  account(@Args('email') email: string): Account {
    return { email };
  }

  /** One field behind a challenge; the rest of the account resolves without one. */
  @ResolveField(() => String, { nullable: true })
  @RequireCaptcha({ action: 'reveal-phone' })
  phone(@Args('captchaToken', { type: () => String, nullable: true }) _captchaToken?: string) {
    return '+1 555 0100';
  }
}
// #endregion graphql-resolver

// #region graphql-module
const graphql = GraphQLModule.forRoot<ApolloDriverConfig>({
  driver: ApolloDriver,
  autoSchemaFile: true,
  // Nest runs no guard, interceptor or filter on field resolvers unless asked: without this,
  // the app refuses to start rather than serve `phone` unprotected.
  fieldResolverEnhancers: ['guards', 'interceptors', 'filters'],
});
// #endregion graphql-module

// #region ws-gateway
@WebSocketGateway()
class CommentGateway {
  /** Message: {"event":"comment","data":{"text":"…","captchaToken":"…"}} */
  @SubscribeMessage('comment')
  @RequireCaptcha({ action: 'comment' })
  comment(@MessageBody() data: { text: string }) {
    return { event: 'comment', data: { saved: data.text } };
  }
}
// #endregion ws-gateway

// #region rpc-handler
@Controller()
class SignInHandlers {
  /** Payload: { email, password, captchaToken? }, forwarded by the service the browser talks to. */
  @MessagePattern('login')
  @RequireCaptcha({
    action: 'login',
    // A message handler has no client IP (its caller is a service): count per account.
    when: failedAttempts({ threshold: 3, window: '15m', per: 'data.email' }),
  })
  login(@Payload() data: { email: string; password: string }) {
    if (data.password !== PASSWORD) throw new UnauthorizedException();
    return { signedIn: data.email };
  }
}
// #endregion rpc-handler

const ANSWER_TIMEOUT_MS = 3_000;

describe('docs/graphql-websockets.md: GraphQL', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CaptchaTestingModule.forRoot(), graphql],
      providers: [AccountResolver],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
  });

  const gql = (query: string) =>
    request(app.getHttpServer()).post('/graphql').timeout(ANSWER_TIMEOUT_MS).send({ query });

  it('challenges the 4th failed sign-in to one account, and lets a solved one through', async () => {
    const login = (password: string, token?: string) =>
      gql(
        `mutation { login(email: "Ada@example.com", password: "${password}"${
          token ? `, captchaToken: "${token}"` : ''
        }) { email } }`,
      );
    for (let i = 0; i < 3; i++) {
      const guess = await login('wrong');
      expect(guess.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    const challenged = await login(PASSWORD);
    expect(challenged.status).toBe(200);
    expect(challenged.body.data.login).toBeNull();
    expect(challenged.body.errors[0]).toMatchObject({
      path: ['login'],
      extensions: {
        code: 'captcha_required',
        statusCode: 403,
        details: { provider: 'turnstile', action: 'login' },
      },
    });
    const solved = await login(PASSWORD, CAPTCHA_TEST_TOKENS.freshPass());
    expect(solved.body).toEqual({ data: { login: { email: 'Ada@example.com' } } });
  });

  it('answers a protected field without a token with an error at its path; siblings resolve', async () => {
    const bare = await gql('{ account(email: "ada@example.com") { email phone } }');
    expect(bare.body.data.account).toEqual({ email: 'ada@example.com', phone: null });
    expect(bare.body.errors[0]).toMatchObject({
      path: ['account', 'phone'],
      extensions: { code: 'captcha_required', details: { action: 'reveal-phone' } },
    });
    const token = CAPTCHA_TEST_TOKENS.freshPass();
    const solved = await gql(
      `{ account(email: "ada@example.com") { phone(captchaToken: "${token}") } }`,
    );
    expect(solved.body).toEqual({ data: { account: { phone: '+1 555 0100' } } });
  });
});

describe('docs/graphql-websockets.md: WebSocket gateway', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CaptchaTestingModule.forRoot()],
      providers: [CommentGateway],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
  });

  /** One message on a fresh connection; the first frame back, or a rejection after the timeout. */
  const exchange = async (message: { event: string; data: unknown }): Promise<unknown> => {
    const connection = await Connection.open(url);
    try {
      return await connection.ask(message.event, message.data, ANSWER_TIMEOUT_MS);
    } finally {
      connection.close();
    }
  };

  it('answers a message without a token with an exception frame carrying the challenge', async () => {
    expect(await exchange({ event: 'comment', data: { text: 'hi' } })).toEqual({
      event: 'exception',
      data: {
        status: 'error',
        statusCode: 403,
        error: 'captcha_required',
        message: expect.any(String),
        details: { provider: 'turnstile', site_key: 'test-site-key', action: 'comment' },
      },
    });
  });

  it('runs the handler for a message with a solved token', async () => {
    const token = CAPTCHA_TEST_TOKENS.freshPass();
    expect(await exchange({ event: 'comment', data: { text: 'hi', captchaToken: token } })).toEqual(
      { event: 'comment', data: { saved: 'hi' } },
    );
  });
});

describe('docs/graphql-websockets.md: microservice', () => {
  let service: INestMicroservice;
  let client: ClientProxy;

  beforeAll(async () => {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [CaptchaTestingModule.forRoot()],
      controllers: [SignInHandlers],
    }).compile();
    service = moduleRef.createNestMicroservice<MicroserviceOptions>({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: false,
    });
    await service.listen();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    await client.connect();
  });
  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  const login = (data: object) =>
    lastValueFrom(client.send('login', data).pipe(timeout(ANSWER_TIMEOUT_MS)));

  it('errors the caller’s observable with the challenge after 3 failures for one account', async () => {
    const email = 'ada@example.com';
    for (let i = 0; i < 3; i++) {
      await expect(login({ email, password: 'wrong' })).rejects.toMatchObject({
        status: 'error',
      });
    }
    // Another account is not affected: the count is per `data.email`.
    await expect(login({ email: 'bob@example.com', password: PASSWORD })).resolves.toEqual({
      signedIn: 'bob@example.com',
    });
    await expect(login({ email, password: PASSWORD })).rejects.toEqual({
      status: 'error',
      statusCode: 403,
      error: 'captcha_required',
      message: expect.any(String),
      details: { provider: 'turnstile', site_key: 'test-site-key', action: 'login' },
    });
    const captchaToken = CAPTCHA_TEST_TOKENS.freshPass();
    await expect(login({ email, password: PASSWORD, captchaToken })).resolves.toEqual({
      signedIn: email,
    });
  });
});
