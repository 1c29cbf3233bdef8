import { outcomeHooksOf } from '../conditions/condition-internals';
import type { CaptchaHandlerUnderCheck } from './transport-rules';

/** `@nestjs/graphql`'s metadata key of `@Query`, `@Mutation` and `@Subscription` (its value). */
const RESOLVER_TYPE_METADATA = 'graphql:resolver_type';
/** `@nestjs/graphql`'s metadata key of `@ResolveReference` (federation). */
const RESOLVER_REFERENCE_METADATA = 'graphql:resolve_reference';

/**
 * The `fieldResolverEnhancers` a `@RequireCaptcha` on a `@ResolveField` needs: `guards` (the
 * checkpoint), `filters` (its answer as a GraphQL error with `extensions.code`), and
 * `interceptors` when the condition counts outcomes (`failedAttempts`).
 *
 * @internal
 */
export function enhancersNeededBy(handler: CaptchaHandlerUnderCheck): string[] {
  const when = handler.requirement.when;
  const countsOutcomes = when !== undefined && outcomeHooksOf(when).length > 0;
  return countsOutcomes ? ['guards', 'interceptors', 'filters'] : ['guards', 'filters'];
}

/**
 * A `@RequireCaptcha` on a `@ResolveField` (or `@ResolveReference`) handler while `GraphQLModule` leaves field resolvers
 * without enhancers (`fieldResolverEnhancers: []`, Nest's default): Nest then calls the field
 * resolver directly, no guard runs, and the field would be returned without a token.
 *
 * Only a handler's own requirement: a resolver class's `@RequireCaptcha` covers its `@Query` and
 * `@Mutation` handlers, not its field resolvers. Without `GraphQLModule` options (no GraphQL
 * module in the app) nothing serves the field, so there is nothing to refuse.
 *
 * @internal
 */
export function fieldResolverWithoutEnhancers(
  handler: CaptchaHandlerUnderCheck,
): string | undefined {
  const { kind, graphql } = handler;
  if (kind.transport !== 'graphql' || !kind.field || handler.declaredOn !== 'handler')
    return undefined;
  if (!graphql) return undefined;
  const enabled = Array.isArray(graphql.fieldResolverEnhancers)
    ? graphql.fieldResolverEnhancers
    : [];
  const missing = enhancersNeededBy(handler).filter((enhancer) => !enabled.includes(enhancer));
  if (missing.length === 0) return undefined;
  const decorator =
    handler.method && Reflect.hasMetadata(RESOLVER_REFERENCE_METADATA, handler.method)
      ? '@ResolveReference()'
      : '@ResolveField()';
  return (
    `${handler.route}: @RequireCaptcha() on a ${decorator} never runs while GraphQLModule's ` +
    `fieldResolverEnhancers lacks ${missing.map((e) => `'${e}'`).join(', ')} (the field would be ` +
    `returned without a token); set GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards', ` +
    `'interceptors', 'filters'] }), or protect the query or mutation that returns the field`
  );
}

/**
 * A `@RequireCaptcha` reaching a `@Subscription` handler (its own, or its class's). Refused: a
 * subscription is started once and then streams for as long as the connection lives, over
 * graphql-ws without any HTTP request (no `x-captcha-token` header, no client IP, so `per: 'ip'`
 * would put every subscriber in one bucket), and a check at subscribe time says nothing about
 * the events that follow.
 *
 * @internal
 */
export function subscriptionRequirement(handler: CaptchaHandlerUnderCheck): string | undefined {
  if (handler.kind.transport !== 'graphql' || handler.kind.field || !handler.method)
    return undefined;
  if (Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler.method) !== 'Subscription')
    return undefined;
  const where =
    handler.declaredOn === 'class'
      ? "the resolver class's @RequireCaptcha() reaches this @Subscription() (put @SkipCaptcha() on it, or move it to another resolver class); "
      : '';
  return (
    `${handler.route}: @RequireCaptcha() is not supported on a GraphQL @Subscription() (it runs ` +
    `once at subscribe time, over WebSockets without an HTTP request or client IP); ${where}` +
    `protect the mutation that starts the flow, or verify a token argument with CaptchaVerifier ` +
    `in the subscription's resolver`
  );
}
