import { conditionSourcesOf } from '../conditions/condition-internals';
import type { CaptchaSubjectSource } from '../conditions/subject-key';
import type { RequireCaptchaOptions } from '../decorators/require-captcha.decorator';
import type { CaptchaHandlerKind, CaptchaTransport } from './captcha-transport';

/** One `@RequireCaptcha` handler, as the start-up check sees it. @internal */
export interface CaptchaHandlerUnderCheck {
  /** `Class.method`, for the message. */
  route: string;
  kind: CaptchaHandlerKind;
  requirement: RequireCaptchaOptions;
  /** Where the requirement was declared: on the handler, or inherited from its class. */
  declaredOn: 'handler' | 'class';
  /** The handler method itself, for rules reading other decorators (`@Subscription`). */
  method?: object;
  /**
   * The app's `GraphQLModule` options as far as rules read them; `undefined` when the app has no
   * GraphQL module.
   */
  graphql?: { fieldResolverEnhancers?: readonly string[] };
}

/**
 * What a subject can read on each transport, and what to use instead of what it cannot. A subject
 * that reads nothing there would put every client in one bucket (`per: 'body.email'` on a
 * resolver reads the GraphQL request's body, not the argument), so it is refused at start-up.
 */
const READABLE: Record<CaptchaTransport, readonly CaptchaSubjectSource[]> = {
  http: ['ip', 'body', 'header', 'query', 'custom'],
  graphql: ['ip', 'header', 'args', 'custom'],
  ws: ['ip', 'header', 'data', 'custom'],
  rpc: ['data', 'custom'],
};

const INSTEAD: Record<CaptchaTransport, string> = {
  http: "'body.<field>', 'query.<name>' or 'header.<name>'",
  graphql: "'args.<argument>' (the resolver's arguments), e.g. per: 'args.email'",
  ws: "'data.<field>' (the message's data), e.g. per: 'data.email'",
  rpc: "'data.<field>' (the message's payload), e.g. per: 'data.email'",
};

/** Subjects (`per`, `tenant`) reading something the handler's transport does not have. @internal */
export function unreadableSources(handler: CaptchaHandlerUnderCheck): string | undefined {
  const when = handler.requirement.when;
  if (!when) return undefined;
  const { transport } = handler.kind;
  const readable = READABLE[transport];
  if (!readable) return undefined;
  const unreadable = conditionSourcesOf(when).filter((source) => !readable.includes(source));
  if (unreadable.length === 0) return undefined;
  return (
    `${handler.route}: the condition reads ${unreadable.map((s) => `'${s}'`).join(', ')}, which a ` +
    `${transport} handler does not have; use ${INSTEAD[transport]}, or a function`
  );
}
