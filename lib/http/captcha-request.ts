import type { ArgumentsHost } from '@nestjs/common';
import { wsUpgradeRequestOf } from '../transports/ws-client';

/** The parts of a GraphQL context the request can be found in, whichever server built it. */
interface GraphqlContext {
  /** Nest's Apollo driver (Express and Fastify), Apollo Express, most custom `context` functions. */
  req?: unknown;
  request?: unknown;
  /** Mercurius: the Fastify reply, whose `request` is the request. */
  reply?: { request?: unknown };
}

/**
 * The HTTP request behind a controller or a GraphQL resolver: what the guard reads the token, the
 * client IP and conditions from, and what the checkpoint's per-request state is keyed by.
 *
 * For GraphQL it is taken from the GraphQL context (the third resolver argument): `req` (Nest's
 * Apollo driver, Apollo Express), `request`, or `reply.request` (Mercurius). A context without
 * any (a subscription over WebSockets) stands in itself. This reads the context directly, so the
 * library does not depend on `@nestjs/graphql`. For a WebSocket gateway (`ws`) it is the upgrade
 * request that opened the client's connection ({@link wsUpgradeRequestOf}), else the client
 * itself. Other context types (`rpc`) get `switchToHttp().getRequest()`, their first argument.
 *
 * @public
 */
export function captchaRequestOf(context: ArgumentsHost): unknown {
  const type = context.getType<string>();
  if (type === 'graphql') {
    const gql = context.getArgByIndex<GraphqlContext | undefined>(2);
    return gql?.req ?? gql?.request ?? gql?.reply?.request ?? gql;
  }
  if (type === 'ws') {
    const client = context.getArgByIndex<unknown>(0);
    return wsUpgradeRequestOf(client) ?? client;
  }
  // The request is the first argument: read it without `switchToHttp()`.
  // Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#request-from-context
  return context.getArgByIndex(0);
}

/**
 * A GraphQL resolver's arguments (the second resolver argument); `undefined` outside GraphQL.
 *
 * @public
 */
export function graphqlArgsOf(context: ArgumentsHost): unknown {
  return context.getType<string>() === 'graphql' ? context.getArgByIndex(1) : undefined;
}
