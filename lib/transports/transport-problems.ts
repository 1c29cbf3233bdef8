import { fieldResolverWithoutEnhancers, subscriptionRequirement } from './graphql-rules';
import { type CaptchaHandlerUnderCheck, unreadableSources } from './transport-rules';

/**
 * Every reason a `@RequireCaptcha` handler cannot be protected as declared on its transport, for
 * the start-up check: an app that would run with a silent hole (or a shared bucket) does not
 * start. One rule per line; transport-specific rules live beside their transport.
 */
const RULES: ReadonlyArray<(handler: CaptchaHandlerUnderCheck) => string | undefined> = [
  unreadableSources,
  fieldResolverWithoutEnhancers,
  subscriptionRequirement,
];

/** The problems of one handler on its transport, one message each (none: it can be protected). @internal */
export function transportProblems(handler: CaptchaHandlerUnderCheck): string[] {
  return RULES.map((rule) => rule(handler)).filter((problem) => problem !== undefined);
}
