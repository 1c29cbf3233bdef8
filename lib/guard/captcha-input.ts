import type { ExecutionContext } from '@nestjs/common';
import {
  argumentToken,
  defaultTokenExtractor,
  statedTokenProvider,
  stripBodyFields,
} from '../http/captcha-token-extractor';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import { captchaInputOf } from '../transports/captcha-transport';

// What the checkpoint reads of a request on each transport (its token, the provider the client
// states) and strips from it once let through.

/** A WebSocket gateway's or microservice's message, rather than an HTTP request. */
function isMessage(context: ExecutionContext): boolean {
  const type = context.getType();
  return type === 'ws' || type === 'rpc';
}

/**
 * The token: the handler's input first (a GraphQL resolver's arguments, a message's data:
 * `captcha.token`, `captchaToken`), then the request through `extractor` (default: body fields,
 * then header `x-captcha-token`). A gateway's or message handler's token is in the message's data
 * only: its "request" is the connection (or the payload), not this message.
 *
 * @internal
 */
export function captchaTokenOf(
  request: unknown,
  context: ExecutionContext | undefined,
  extractor: ((request: unknown) => unknown) | undefined,
): unknown {
  const fromArgs = context ? argumentToken(captchaInputOf(context)) : undefined;
  if (fromArgs !== undefined || (context && isMessage(context))) return fromArgs;
  return (extractor ?? defaultTokenExtractor)(request);
}

/**
 * The provider the client states (`captcha.provider`, the widget field, `x-captcha-provider`); a
 * message states it in its data only.
 *
 * @internal
 */
export function statedProviderOf(
  request: unknown,
  context: ExecutionContext | undefined,
): CaptchaVerifierName | undefined {
  return statedTokenProvider(
    context && isMessage(context) ? undefined : request,
    context && captchaInputOf(context),
  );
}

/**
 * Removes the CAPTCHA fields from what the handler reads: an HTTP body, or a gateway's or message
 * handler's data when it is a plain object. GraphQL arguments are the schema's business.
 *
 * @internal
 */
export function stripCaptchaFields(
  context: ExecutionContext,
  request: unknown,
  fields: readonly string[],
): void {
  const type = context.getType();
  if (type === 'http') stripBodyFields(request, fields);
  else if (type === 'ws' || type === 'rpc')
    stripBodyFields({ body: captchaInputOf(context) }, fields);
}
