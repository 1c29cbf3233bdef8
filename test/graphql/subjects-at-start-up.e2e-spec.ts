import type { INestApplication } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { failedAttempts, RequireCaptcha, requestRate } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { createGraphqlApp } from '../support/graphql-login';

jest.mock(
  '@as-integrations/express5',
  () => jest.requireActual('../support/apollo-express-middleware'),
  { virtual: true },
);

/**
 * Issue 15, item 5: on a resolver, `per: 'body.email'` read the GraphQL request's body (no
 * `email` there: one bucket for everyone) and `'body.variables.email'` a variable the client may
 * not even use (a decoy). Such subjects stop the app at start-up, naming the argument path.
 */
/** A schema needs a query. */
@Resolver()
class PingResolver {
  @Query(() => String)
  ping(): string {
    return 'pong';
  }
}

@Resolver()
class BodyEmailResolver {
  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 3, window: '15m', per: 'body.email' }),
  })
  login(@Args('email') _email: string): boolean {
    return true;
  }
}

@Resolver()
class VariablesEmailResolver {
  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 3, window: '15m', per: 'ip+body.variables.email' }),
  })
  login(@Args('email') _email: string): boolean {
    return true;
  }
}

/** A class-level requirement is checked for each of its resolvers. */
@Resolver()
@RequireCaptcha({
  action: 'signup',
  when: requestRate({ max: 5, window: '1m', per: 'body.email' }),
})
class ClassLevelBodyResolver {
  @Mutation(() => Boolean, { nullable: true })
  signup(@Args('email') _email: string): boolean {
    return true;
  }
}

@Resolver()
class ArgsEmailResolver {
  @Mutation(() => Boolean, { nullable: true })
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 3, window: '15m', per: 'ip+args.email' }),
  })
  login(@Args('email') _email: string): boolean {
    return true;
  }
}

describe('GraphQL subjects checked at start-up (Apollo, real app)', () => {
  let fake: FakeCaptchaServer;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await fake?.close();
  });

  const create = async (resolver: new () => object) => {
    const app = await createGraphqlApp(
      {
        provider: 'turnstile',
        siteKey: FakeCaptchaServer.siteKeys.turnstile,
        secretKey: FakeCaptchaServer.secrets.turnstile,
        verifyUrl: fake.verifyUrl('turnstile'),
      },
      [PingResolver, resolver],
    );
    apps.push(app);
    return app;
  };

  it.each([
    ['body.email', BodyEmailResolver, 'BodyEmailResolver.login'],
    ['body.variables.email', VariablesEmailResolver, 'VariablesEmailResolver.login'],
    ['body.email (class-level)', ClassLevelBodyResolver, 'ClassLevelBodyResolver.signup'],
  ])(
    'refuses per %s on a resolver, naming the handler and args.email',
    async (_, resolver, route) => {
      const app = await create(resolver);
      const started = app.init();
      await expect(started).rejects.toThrow(route);
      await expect(started).rejects.toThrow("the condition reads 'body'");
      await expect(started).rejects.toThrow("per: 'args.email'");
    },
  );

  it("starts with per 'ip+args.email'", async () => {
    const app = await create(ArgsEmailResolver);
    await expect(app.init()).resolves.toBe(app);
  });
});
