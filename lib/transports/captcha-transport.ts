import type { ArgumentsHost } from '@nestjs/common';
import { captchaRequestOf } from '../http/captcha-request';

/**
 * The execution contexts the checkpoint knows: controllers (`http`), GraphQL resolvers
 * (`graphql`), WebSocket gateways (`ws`) and microservice message handlers (`rpc`).
 *
 * @public
 */
export type CaptchaTransport = 'http' | 'graphql' | 'ws' | 'rpc';

/** The context's transport; anything Nest adds later reads as its own name. @public */
export function transportOf(context: ArgumentsHost): CaptchaTransport {
  return context.getType<string>() as CaptchaTransport;
}

/**
 * The handler's input beyond the HTTP request: a resolver's arguments (GraphQL), a message's
 * data (`@MessageBody()` of a gateway, `@Payload()` of a message handler). `undefined` for
 * controllers, whose input is the request itself. Read by the token lookup and by subjects such
 * as `per: 'args.email'` (GraphQL) and `per: 'data.email'` (messages).
 *
 * @public
 */
export function captchaInputOf(context: ArgumentsHost): unknown {
  switch (context.getType<string>()) {
    case 'graphql':
    case 'ws':
      return context.getArgByIndex(1);
    case 'rpc':
      return context.getArgByIndex(0);
    default:
      return undefined;
  }
}

/**
 * The object the checkpoint's state for one handler call is kept on (the context its conditions
 * saw, the verification `@CaptchaResult()` reads), so that calls sharing an HTTP request never
 * share state:
 * - `http`: the request;
 * - `graphql`: the field's resolve info (one per field, alias and list item, per operation of a
 *   batch), not the HTTP request every field of the request shares;
 * - `ws`: the message's data when it is an object, else the call's argument list;
 * - `rpc`: the message's transport context (one per message), else the call's argument list.
 *
 * Guards and interceptors of one call get the same argument list; parameter decorators get a new
 * list of the same objects, hence objects from the list rather than the list where possible.
 *
 * @public
 */
export function captchaStateCarrierOf(context: ArgumentsHost): object {
  switch (context.getType<string>()) {
    case 'graphql': {
      const info = context.getArgByIndex<unknown>(3);
      return isObject(info) ? info : (captchaRequestOf(context) as object);
    }
    case 'ws': {
      const data = context.getArgByIndex<unknown>(1);
      return isObject(data) ? data : context.getArgs();
    }
    case 'rpc': {
      const rpcContext = context.getArgByIndex<unknown>(1);
      return isObject(rpcContext) ? rpcContext : context.getArgs();
    }
    default:
      return captchaRequestOf(context) as object;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Nest's metadata keys, read directly so the optional packages need not be installed. */
const HANDLER_METADATA = {
  /** `@nestjs/graphql`: `@Query`, `@Mutation`, `@Subscription`. */
  resolver: 'graphql:resolver_type',
  /** `@nestjs/graphql`: `@ResolveField`. */
  fieldResolver: 'graphql:resolve_property',
  /** `@nestjs/graphql`: `@ResolveReference` (federation), which Nest runs like a field resolver. */
  referenceResolver: 'graphql:resolve_reference',
  /** `@nestjs/websockets`: `@SubscribeMessage`. */
  message: 'websockets:message_mapping',
  /** `@nestjs/microservices`: `@MessagePattern`, `@EventPattern`. */
  pattern: 'microservices:pattern',
  /** `@nestjs/common`: `@Get`, `@Post`… */
  route: 'path',
} as const;

/** What kind of handler a method is, read from its decorators at start-up. @public */
export type CaptchaHandlerKind =
  | { transport: 'http' }
  | { transport: 'graphql'; field: boolean }
  | { transport: 'ws' }
  | { transport: 'rpc' };

/** The transport a handler serves, from its decorators; `undefined` for a plain method. @public */
export function handlerKindOf(handler: object): CaptchaHandlerKind | undefined {
  const has = (key: string) => Reflect.hasMetadata(key, handler);
  if (has(HANDLER_METADATA.fieldResolver) || has(HANDLER_METADATA.referenceResolver)) {
    return { transport: 'graphql', field: true };
  }
  if (has(HANDLER_METADATA.resolver)) return { transport: 'graphql', field: false };
  if (has(HANDLER_METADATA.message)) return { transport: 'ws' };
  if (has(HANDLER_METADATA.pattern)) return { transport: 'rpc' };
  if (has(HANDLER_METADATA.route)) return { transport: 'http' };
  return undefined;
}
