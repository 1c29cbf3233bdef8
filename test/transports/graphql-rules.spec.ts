import { Mutation, ResolveField, ResolveReference, Resolver, Subscription } from '@nestjs/graphql';
import { handlerKindOf } from '../../lib/transports/captcha-transport';
import { failedAttempts } from 'nestjs-captcha';
import { transportProblems } from '../../lib/transports/transport-problems';
import type { CaptchaHandlerUnderCheck } from '../../lib/transports/transport-rules';

@Resolver()
class Handlers {
  @Subscription(() => String)
  feed(): AsyncIterator<string> {
    return (async function* () {})();
  }

  @Mutation(() => Boolean)
  send(): boolean {
    return true;
  }

  @ResolveField(() => String)
  note(): string {
    return '';
  }

  @ResolveReference()
  reference(): object {
    return {};
  }
}

const field = (
  graphql: CaptchaHandlerUnderCheck['graphql'],
  extra: Partial<CaptchaHandlerUnderCheck> = {},
) =>
  transportProblems({
    route: 'R.note',
    kind: { transport: 'graphql', field: true },
    requirement: { action: 'note' },
    declaredOn: 'handler',
    graphql,
    ...extra,
  });

describe('GraphQL start-up rules', () => {
  it("refuses a protected field resolver until fieldResolverEnhancers has 'guards' and 'filters'", () => {
    for (const enhancers of [undefined, [], ['guards'], ['filters', 'interceptors']]) {
      const [problem] = field({ fieldResolverEnhancers: enhancers });
      expect(problem).toContain('R.note: @RequireCaptcha() on a @ResolveField() never runs');
      expect(problem).toContain(
        "GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards', 'interceptors', 'filters'] })",
      );
    }
    expect(field({ fieldResolverEnhancers: ['guards'] })[0]).toContain("lacks 'filters' (");
    expect(field({ fieldResolverEnhancers: ['guards', 'filters'] })).toEqual([]);
  });

  it("wants 'interceptors' too when the condition counts outcomes", () => {
    const requirement = { when: failedAttempts({ threshold: 3, window: '1m', per: 'args.email' }) };
    expect(field({ fieldResolverEnhancers: ['guards', 'filters'] }, { requirement })[0]).toContain(
      "lacks 'interceptors'",
    );
    expect(
      field({ fieldResolverEnhancers: ['guards', 'interceptors', 'filters'] }, { requirement }),
    ).toEqual([]);
  });

  it('has nothing to refuse without a GraphQL module, or for a requirement from the class', () => {
    expect(field(undefined)).toEqual([]);
    expect(field({}, { declaredOn: 'class' })).toEqual([]);
  });

  it('refuses a requirement reaching a @Subscription, not a @Mutation', () => {
    const root = (method: object, declaredOn: 'handler' | 'class') =>
      transportProblems({
        route: 'Handlers.m',
        kind: { transport: 'graphql', field: false },
        requirement: {},
        declaredOn,
        method,
      });
    const prototype = Handlers.prototype as unknown as Record<string, object>;
    expect(root(prototype.feed, 'handler')[0]).toContain(
      'not supported on a GraphQL @Subscription()',
    );
    expect(root(prototype.feed, 'class')[0]).toContain('put @SkipCaptcha() on it');
    expect(root(prototype.send, 'handler')).toEqual([]);
    expect(root(prototype.send, 'class')).toEqual([]);
  });

  it('takes @ResolveReference for a field resolver: Nest runs it with the field enhancers', () => {
    const prototype = Handlers.prototype as unknown as Record<string, object>;
    expect(handlerKindOf(prototype.note)).toEqual({ transport: 'graphql', field: true });
    expect(handlerKindOf(prototype.reference)).toEqual({ transport: 'graphql', field: true });
    expect(handlerKindOf(prototype.send)).toEqual({ transport: 'graphql', field: false });
  });
});
