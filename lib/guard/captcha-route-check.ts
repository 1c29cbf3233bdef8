import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { STEP_UP_PROVIDER_ACCEPTED, isStepUpProvider } from '../config/step-up-provider-rule';
import { CaptchaProviders } from '../providers/captcha-providers';
import { transportProblems } from '../transports/transport-problems';
import type { CaptchaHandlerUnderCheck } from '../transports/transport-rules';
import { CaptchaRouteScan } from './captcha-route-scan';

/**
 * `GRAPHQL_MODULE_OPTIONS` of `@nestjs/graphql`, the token `GraphQLModule` registers its options
 * under; spelled out so the optional peer need not be installed.
 */
const GRAPHQL_MODULE_OPTIONS = 'GqlModuleOptions';

/**
 * Checks at start-up that every `@RequireCaptcha({ provider })` names a registered provider and
 * that no handler or class carries both `@SkipCaptcha()` and `@RequireCaptcha()`, so a wiring
 * mistake stops the app instead of failing (or silently passing) requests later. Warns about each
 * route where a handler's decorator overrides its class's of the other kind (the nearer one wins).
 *
 * @internal
 */
@Injectable()
export class CaptchaRouteCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('CaptchaRouteCheck');

  constructor(
    private readonly scan: CaptchaRouteScan,
    private readonly providers: CaptchaProviders,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The app's `GraphQLModule` options (`fieldResolverEnhancers`), if it has a GraphQL module. */
  private graphqlOptions(): CaptchaHandlerUnderCheck['graphql'] {
    try {
      const options = this.moduleRef.get<unknown>(GRAPHQL_MODULE_OPTIONS, { strict: false });
      return typeof options === 'object' && options !== null
        ? (options as CaptchaHandlerUnderCheck['graphql'])
        : undefined;
    } catch {
      // Not registered: the app serves no GraphQL through Nest.
      return undefined;
    }
  }

  onApplicationBootstrap(): void {
    const problems: string[] = [];
    const contradictions: string[] = [];
    const transports: string[] = [];
    const graphql = this.graphqlOptions();
    for (const { type, handlers } of this.scan.all()) {
      for (const { route, handler, decorators, own, kind } of handlers) {
        if (decorators.bothOn !== undefined) {
          contradictions.push(
            `${route}: both @SkipCaptcha() and @RequireCaptcha() on the ${decorators.bothOn}; keep one`,
          );
        } else if (decorators.override === 'handler-requires') {
          this.logger.warn(
            `${route}: @RequireCaptcha() on the handler overrides @SkipCaptcha() on ${type.name}: ` +
              'the route demands a CAPTCHA (the nearer decorator wins)',
          );
        } else if (decorators.override === 'handler-skips') {
          this.logger.warn(
            `${route}: @SkipCaptcha() on the handler overrides @RequireCaptcha() on ${type.name}: ` +
              'the route is exempt from the CAPTCHA (the nearer decorator wins)',
          );
        }
        // A `@SkipCaptcha()` handler is exempt: what its transport could not do does not matter.
        if (decorators.requirement && !decorators.skipped && kind) {
          transports.push(
            ...transportProblems({
              route,
              kind,
              requirement: decorators.requirement,
              declaredOn: own ? 'handler' : 'class',
              method: handler,
              graphql,
            }),
          );
        }
        const stepUp = decorators.requirement?.stepUp;
        if (stepUp !== undefined && stepUp !== false) {
          const problem = !isStepUpProvider(stepUp)
            ? `@RequireCaptcha({ stepUp }) names ${String(stepUp)}, not ${STEP_UP_PROVIDER_ACCEPTED}`
            : !this.providers.get(stepUp)
              ? `@RequireCaptcha({ stepUp }) names ${stepUp}, which is not registered (stepUp, providers or fallback)`
              : undefined;
          if (problem) problems.push(`${route}: ${problem}`);
        }
        const wanted = decorators.requirement?.provider;
        if (wanted === undefined) continue;
        const problem = this.providers.problemWith(wanted);
        if (problem) problems.push(`${route}: ${problem}`);
      }
    }
    const sections: string[] = [];
    if (contradictions.length > 0) {
      sections.push(
        `CAPTCHA routes carry contradictory decorators (@SkipCaptcha() and @RequireCaptcha() on one target; put them on different levels, the nearer one wins):\n${contradictions.join('\n')}`,
      );
    }
    if (problems.length > 0) {
      sections.push(
        `CAPTCHA routes name providers that are not registered (registered: ${this.providers.names.join(', ')}):\n${problems.join('\n')}`,
      );
    }
    if (transports.length > 0) {
      sections.push(
        `CAPTCHA requirements that cannot hold on their handler's transport (README: GraphQL, WebSockets and microservices):\n${transports.join('\n')}`,
      );
    }
    if (sections.length > 0) throw new Error(sections.join('\n'));
  }
}
