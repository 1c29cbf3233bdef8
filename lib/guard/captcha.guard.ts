import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { ServerResponse } from 'node:http';
import { Reflector } from '@nestjs/core';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type {
  CaptchaAuditSink,
  CaptchaFailureMode,
} from '../config/captcha-module-options.interface';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { always } from '../conditions/always.condition';
import type { CaptchaContext } from '../conditions/captcha-condition';
import {
  explainCondition,
  outcomeHooksOf,
  type ConditionOutcomeHooks,
} from '../conditions/condition-internals';
import { captchaRouteDecorators } from '../decorators/captcha-route-decorators';
import { type RequireCaptchaOptions } from '../decorators/require-captcha.decorator';
import type { CaptchaChallengeDetails } from '../contracts/captcha-error-body';
import {
  CaptchaInvalidException,
  CaptchaRequiredException,
  CaptchaUnavailableException,
} from '../errors/captcha.exception';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import { captchaRequestOf } from '../http/captcha-request';
import {
  argumentToken,
  CAPTCHA_BODY_FIELDS,
  defaultTokenExtractor,
  statedTokenProvider,
  stripBodyFields,
} from '../http/captcha-token-extractor';
import { CAPTCHA_AUDIT_SINK } from '../observability/captcha-audit-sink';
import {
  CaptchaDecisionLog,
  type CaptchaDecisionBase,
} from '../observability/captcha-decision-log';
import { CaptchaMetrics } from '../observability/captcha-metrics';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import { CaptchaProviders } from '../providers/captcha-providers';
import { ProviderCircuitBreakers } from '../resilience/provider-circuit-breakers';
import { CaptchaClaimRefusedError, CaptchaStoreError } from '../stores/captcha-store.error';
import { challengeDetailsFor } from '../verification/challenge-details';
import { captchaInputOf, captchaStateCarrierOf } from '../transports/captcha-transport';
import { verifyOncePerOperation } from '../transports/graphql-verification-memo';
import { wsIdentityGap } from '../transports/ws-client';
import { CaptchaVerifier } from '../verification/captcha-verifier.service';
import type { CaptchaVerification } from '../verification/captcha-verification.interface';
import { CaptchaContextFactory } from './captcha-context.factory';
import { hasOutcomeInterceptor } from './captcha-outcome-routing';
import { readsCaptchaResult, setCaptchaContext, setCaptchaResult } from './captcha-request-state';
import { judgedByStatus, reportOutcome } from './report-outcome';

const ALWAYS = always();
const NO_HOOKS: readonly ConditionOutcomeHooks[] = [];

/** What the guard keeps of a route's metadata. */
interface RouteMetadata {
  requirement: RequireCaptchaOptions | undefined;
  skipped: boolean;
  /** {@link CaptchaOutcomeInterceptor} is on the handler or its class. */
  outcomeInterceptor: boolean;
  /** The handler may read the result (`@CaptchaResult()`), so it is kept on the request. */
  readsResult: boolean;
  /** Who reports the outcome, once known (per context type). */
  reporting?: { type: string; mode: OutcomeReporting };
}

/** Who tells the route's conditions how the handler ended. */
type OutcomeReporting = 'none' | 'status' | 'interceptor';

/** A WebSocket gateway's or microservice's message, rather than an HTTP request. */
function isMessage(context: ExecutionContext): boolean {
  const type = context.getType();
  return type === 'ws' || type === 'rpc';
}

/** The Node response behind an Express response or a Fastify reply (`raw`). */
function serverResponseOf(
  response: unknown,
): { statusCode: number; on(event: 'finish', listener: () => void): unknown } | undefined {
  // Express's response is one; a Fastify reply holds one in `raw`.
  if (response instanceof ServerResponse) return response;
  const raw = (response as { raw?: unknown } | undefined)?.raw ?? response;
  const candidate = raw as { statusCode?: unknown; on?: unknown } | undefined;
  return typeof candidate?.on === 'function' && typeof candidate.statusCode === 'number'
    ? (raw as ReturnType<typeof serverResponseOf>)
    : undefined;
}

/**
 * The checkpoint: skip? → condition → token? → verify → decide. Applied by `@RequireCaptcha()`;
 * written to be subclassed (the protected steps) for apps with their own request shapes.
 */
@Injectable()
export class CaptchaGuard implements CanActivate {
  private readonly logger = new Logger('CaptchaGuard');
  /** Route metadata by class, then handler (one handler may serve several subclasses). */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteMetadata>>();
  /** The body fields removed from a request the checkpoint lets through (`stripTokenFields`). */
  private readonly strippedFields: readonly string[];
  /** Gateway handlers whose missing client identity was logged (once each). */
  private readonly wsGapsLogged = new WeakSet<object>();

  constructor(
    protected readonly reflector: Reflector,
    protected readonly verifier: CaptchaVerifier,
    @Inject(CAPTCHA_OPTIONS) protected readonly options: ResolvedCaptchaOptions,
    protected readonly contexts: CaptchaContextFactory,
    protected readonly providers: CaptchaProviders,
    protected readonly breakers: ProviderCircuitBreakers,
    @Inject(CAPTCHA_AUDIT_SINK) protected readonly audit: CaptchaAuditSink,
    protected readonly metrics: CaptchaMetrics,
    protected readonly decisions: CaptchaDecisionLog,
  ) {
    const strip = options.stripTokenFields ?? true;
    this.strippedFields = strip === true ? CAPTCHA_BODY_FIELDS : strip === false ? [] : [...strip];
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const requirement = this.getRequirement(context);
    if (!requirement) return true;
    const skip = this.shouldSkip(context);
    // A `@SkipCaptcha()` handler is exempt: its body is left as it came. A request `skipIf`
    // bypasses keeps the route's body shape (the same DTO, whatever the risk).
    if (skip === true) return this.routeOf(context).skipped ? true : this.letThrough(context);
    if (skip !== false) {
      return skip.then((skipped) =>
        skipped ? this.letThrough(context) : this.check(context, requirement),
      );
    }
    return this.check(context, requirement);
  }

  /**
   * The checkpoint lets the request through: its CAPTCHA fields are removed from the body
   * (`stripTokenFields`), so the app's DTO and a strict `ValidationPipe` see only the app's own
   * fields; likewise from a gateway's or message handler's data (`@MessageBody()`,
   * `@Payload()`) when it is a plain object. GraphQL arguments are the schema's business.
   */
  protected letThrough(context: ExecutionContext, request?: unknown): true {
    if (this.strippedFields.length === 0) return true;
    const type = context.getType();
    if (type === 'http') {
      stripBodyFields(request ?? this.getRequest(context), this.strippedFields);
    } else if (type === 'ws' || type === 'rpc') {
      stripBodyFields({ body: captchaInputOf(context) }, this.strippedFields);
    }
    return true;
  }

  /**
   * Condition, then (when it fires) token and verification. Synchronous while nothing needs a
   * promise: a calm request on the memory store is let through without one.
   */
  private check(
    context: ExecutionContext,
    requirement: RequireCaptchaOptions,
  ): boolean | Promise<boolean> {
    const request = this.getRequest(context);
    const captchaContext = this.contexts.create(context, request, requirement.action);
    const reporting = this.outcomeReporting(context, requirement);
    if (context.getType() === 'ws')
      this.checkWsIdentity(context, request, captchaContext, requirement);
    // The outcome interceptor finds the context here; status reporting keeps it in a closure.
    if (reporting === 'interceptor')
      setCaptchaContext(captchaStateCarrierOf(context), captchaContext);
    let fired: string | undefined | Promise<string | undefined>;
    try {
      fired = explainCondition(requirement.when ?? ALWAYS, captchaContext);
    } catch (error) {
      fired = Promise.reject(error);
    }
    const decide = (condition: string | undefined): boolean | Promise<boolean> => {
      if (condition === undefined) {
        if (reporting !== 'none')
          this.reportOnFinish(context, requirement, captchaContext, reporting);
        return this.letThrough(context, request);
      }
      return this.challenge(context, request, requirement, captchaContext, condition, reporting);
    };
    const decided =
      typeof (fired as Partial<Promise<unknown>> | undefined)?.then !== 'function'
        ? decide(fired as string | undefined)
        : (fired as Promise<string | undefined>).then(decide, (error: unknown) => {
            if (!(error instanceof CaptchaStoreError)) throw error;
            this.onStoreFailure(error, 'condition');
            // Open: without the store's answer the request is treated as calm.
            return decide(undefined);
          });
    // A calm request is decided synchronously and let through; only refusals reject.
    if (reporting === 'none' || typeof decided === 'boolean') return decided;
    return decided.catch((error: unknown) => this.onRefused(requirement, captchaContext, error));
  }

  /**
   * A gateway whose condition reads what its connection cannot tell (headers without the upgrade
   * request, the client IP behind a trusted proxy) is refused as `captcha_unavailable`, logged
   * once per handler: counting every client as one would lock them all out, or let them share
   * one allowance.
   */
  private checkWsIdentity(
    context: ExecutionContext,
    request: unknown,
    captchaContext: CaptchaContext,
    requirement: RequireCaptchaOptions,
  ): void {
    const gap = wsIdentityGap(request, captchaContext.clientIp, requirement.when);
    if (gap === undefined) return;
    const handler = context.getHandler();
    if (!this.wsGapsLogged.has(handler)) {
      this.wsGapsLogged.add(handler);
      this.logger.error({
        event: 'captcha.client_unknown',
        transport: 'ws',
        route: `${context.getClass().name}.${handler.name}`,
        cause: gap,
        fix: "attach the gateway to the app's HTTP server (no port of its own), or use per: 'data.<field>'",
      });
    }
    throw new CaptchaUnavailableException({
      provider: this.challengeProvider(requirement),
      fallback: null,
    });
  }

  /**
   * The checkpoint refused the request (the handler will not run): the route's conditions give
   * back what they counted for it (`failedAttempts` refunds the attempt), before the refusal is
   * answered, so the client's next request sees the count without it.
   */
  private async onRefused(
    requirement: RequireCaptchaOptions,
    captchaContext: CaptchaContext,
    error: unknown,
  ): Promise<never> {
    const hooks = outcomeHooksOf(requirement.when!);
    await reportOutcome(hooks, (hook) => hook.onRefused(captchaContext), this.logger);
    throw error;
  }

  /** A condition fired: the token is demanded and verified. */
  private async challenge(
    context: ExecutionContext,
    request: unknown,
    requirement: RequireCaptchaOptions,
    captchaContext: CaptchaContext,
    condition: string,
    reporting: OutcomeReporting,
  ): Promise<boolean> {
    const action = requirement.action ?? null;
    this.metrics.challenge(action ?? 'none', condition);
    const token = this.extractToken(request, context);
    const provider = this.tokenProvider(request, requirement, context);
    // Fields only, never the token itself: its presence and length say enough.
    const decision: CaptchaDecisionBase = {
      requestId: captchaContext.requestId,
      action,
      condition,
      tokenPresent: token !== undefined,
      tokenLength: typeof token === 'string' ? token.length : undefined,
      clientIp: captchaContext.clientIp ?? null,
      clientIpSource: captchaContext.clientIpSource,
    };
    if (token === undefined || provider === undefined) {
      const challenged = this.challengeProvider(requirement);
      const outcome = token === undefined ? 'missing' : 'provider_not_accepted';
      this.decisions.record(decision, { provider: challenged, outcome });
      if (token === undefined) this.metrics.verification(challenged, action ?? 'none', 'missing');
      throw new CaptchaRequiredException(this.challengeDetails(requirement, challenged));
    }

    // GraphQL: one verification serves a protected field at every list index of one operation
    // (`posts { privateNote }` with one token); aliases and batched operations each need their own.
    const verification = await (context.getType<string>() === 'graphql'
      ? verifyOncePerOperation(context.getArgByIndex(3), provider, token, () =>
          this.verify(token, requirement, captchaContext.clientIp, provider, decision),
        )
      : this.verify(token, requirement, captchaContext.clientIp, provider, decision));
    if (this.routeOf(context).readsResult) {
      setCaptchaResult(captchaStateCarrierOf(context), verification);
    }
    // Passes: a full success, a degraded reply the verifier let through (only under policy open,
    // and only when it passed every site check), or the fail-open of onProviderUnavailable. A
    // degraded reply that failed a check keeps that reason and is refused.
    const passed =
      verification.success ||
      (verification.degraded === true && verification.reason === 'provider_unavailable');
    const verdict = !passed
      ? (verification.reason ?? 'invalid')
      : verification.degraded
        ? 'provider_unavailable'
        : 'success';
    // A success is logged at debug: the line is not even built when debug is off.
    if (verdict !== 'success' || this.decisions.logsSuccesses()) {
      this.decisions.record(decision, {
        provider: verification.provider,
        outcome: verdict,
        policy: passed && verification.degraded ? 'open' : undefined,
        degraded: verification.degraded ? (passed ? 'accepted' : 'refused') : undefined,
        errorCodes: verification.errorCodes,
        latencyMs: verification.latencyMs,
        providerStatus: verification.httpStatus,
        tokenAgeMs: verification.challengeTs
          ? Date.now() - verification.challengeTs.getTime()
          : undefined,
      });
    }
    if (!passed) {
      const details = this.challengeDetails(requirement, provider);
      throw new CaptchaInvalidException({ reason: verification.reason ?? 'invalid', ...details });
    }
    // A solved challenge (not a degraded pass): `failedAttempts` may clear its count on success.
    if (verification.success) captchaContext.verified = true;
    if (reporting !== 'none') this.reportOnFinish(context, requirement, captchaContext, reporting);
    return this.letThrough(context, request);
  }

  /**
   * The route's `@RequireCaptcha` options; handler-level options override class-level ones. Read
   * once per route: metadata does not change once the app runs.
   */
  protected getRequirement(context: ExecutionContext): RequireCaptchaOptions | undefined {
    return this.routeOf(context).requirement;
  }

  /** `@SkipCaptcha()` on the route, or the module's `skipIf`. */
  protected shouldSkip(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.routeOf(context).skipped) return true;
    const { skipIf } = this.options;
    if (skipIf === undefined) return false;
    const skip = skipIf(context);
    return typeof skip === 'boolean' ? skip : Promise.resolve(skip).then(Boolean);
  }

  /** The route's metadata, read with the reflector on first use and kept per handler. */
  private routeOf(context: ExecutionContext): RouteMetadata {
    const handler = context.getHandler() as object | undefined;
    const type = context.getClass() as object | undefined;
    const cached = handler && type ? this.routes.get(type)?.get(handler) : undefined;
    if (cached) return cached;
    const targets = [handler, type].filter(Boolean) as (() => void)[];
    // The nearer decorator wins, either way: a handler's @RequireCaptcha over its class's
    // @SkipCaptcha (a class-level skip must not silently disable it), and the reverse.
    const decorators = captchaRouteDecorators(
      this.reflector,
      handler as (() => void) | undefined,
      type as (() => void) | undefined,
    );
    const route: RouteMetadata = {
      requirement: decorators.requirement,
      skipped: decorators.skipped,
      outcomeInterceptor: targets.some(hasOutcomeInterceptor),
      readsResult: handler && type ? readsCaptchaResult(type, handler as () => void) : true,
    };
    if (handler && type) {
      let byHandler = this.routes.get(type);
      if (!byHandler) this.routes.set(type, (byHandler = new WeakMap()));
      byHandler.set(handler, route);
    }
    return route;
  }

  /**
   * Who reports the handler's outcome to the route's conditions (`failedAttempts`): the guard
   * from the HTTP status when the hooks can judge from it and no outcome interceptor is on the
   * route ({@link CaptchaOutcomeRouting} takes it off HTTP routes), else the interceptor.
   */
  private outcomeReporting(
    context: ExecutionContext,
    requirement: RequireCaptchaOptions,
  ): OutcomeReporting {
    const route = this.routeOf(context);
    // Same requirement (not a subclass's own), same answer: worked out once per route and type.
    const type = context.getType();
    if (route.requirement === requirement && route.reporting?.type === type) {
      return route.reporting.mode;
    }
    const hooks = requirement.when ? outcomeHooksOf(requirement.when) : NO_HOOKS;
    const mode: OutcomeReporting =
      hooks.length === 0
        ? 'none'
        : type === 'http' && judgedByStatus(hooks) && !route.outcomeInterceptor
          ? 'status'
          : 'interceptor';
    if (route.requirement === requirement) route.reporting = { type, mode };
    return mode;
  }

  /**
   * Once the HTTP response has been sent: with status reporting, tells the route's conditions its
   * status; with the interceptor on an HTTP route, gives back what a request the interceptor never
   * saw still holds (a guard or middleware after the checkpoint refused it; the hook does nothing
   * when the interceptor reported). A response that never finishes (the client went away) reports
   * nothing: a counted attempt then stays counted until its window closes, which fails safe.
   */
  private reportOnFinish(
    context: ExecutionContext,
    requirement: RequireCaptchaOptions,
    captchaContext: CaptchaContext,
    reporting: 'status' | 'interceptor',
  ): void {
    if (reporting === 'interceptor' && context.getType() !== 'http') return;
    const response = serverResponseOf(context.getArgByIndex(1));
    if (!response) return;
    const hooks = outcomeHooksOf(requirement.when!);
    // `finish` is emitted once per response: `on` spares `once`'s wrapper on every request.
    response.on(
      'finish',
      reporting === 'status'
        ? () => {
            const status = response.statusCode;
            void reportOutcome(
              hooks,
              (hook) => hook.onStatus?.(captchaContext, status),
              this.logger,
            );
          }
        : () => void reportOutcome(hooks, (hook) => hook.onRefused(captchaContext), this.logger),
    );
  }

  /** The HTTP request, for controllers and GraphQL resolvers alike ({@link captchaRequestOf}). */
  protected getRequest(context: ExecutionContext): unknown {
    return captchaRequestOf(context);
  }

  /**
   * The token: the handler's input first (a GraphQL resolver's arguments, a message's data:
   * `captcha.token`, `captchaToken`), then the request through `tokenExtractor` (default: body
   * fields, then header `x-captcha-token`). A gateway's or message handler's token is in the
   * message's data only: its "request" is the connection (or the payload), not this message.
   */
  protected extractToken(request: unknown, context?: ExecutionContext): unknown {
    const fromArgs = context ? argumentToken(captchaInputOf(context)) : undefined;
    if (fromArgs !== undefined || (context && isMessage(context))) return fromArgs;
    return (this.options.tokenExtractor ?? defaultTokenExtractor)(request);
  }

  /**
   * Verifies, applying the outage policy. The guard decides only fail-open; the closed and
   * fallback answers are thrown as {@link CaptchaUnavailableException} for the filter to render.
   */
  protected verify(
    token: unknown,
    requirement: RequireCaptchaOptions,
    remoteIp: string | undefined,
    provider: CaptchaProviderName,
    decision: CaptchaDecisionBase,
  ): Promise<CaptchaVerification> {
    // One promise layer (no `async`): the verifier's own, with the outage policy on rejection.
    return this.verifier
      .verify(token, {
        action: requirement.action,
        remoteIp,
        minScore: requirement.minScore,
        provider,
        // Degraded replies only where the route's outage policy lets unverified requests through.
        allowDegraded: this.failureMode(requirement) === 'open',
      })
      .catch((error: unknown) => {
        if (error instanceof CaptchaStoreError) this.onStoreFailure(error, 'claim');
        if (!(error instanceof CaptchaUnavailableError)) throw error;
        return this.onProviderUnavailable(error, requirement, decision);
      });
  }

  /**
   * The provider could not answer. `open` lets the request through, marked degraded; every other
   * case (closed, fallback, and `misconfigured` always) is thrown for the filter to render.
   *
   * Never failed open, whatever the policy, for what a client can provoke: `misconfigured`, a
   * `degraded` reply the verifier refused (the route does not accept them, or the provider option
   * is off), and an outage of an endpoint the token picked (CaptchaLa's backup URL for `offline_`
   * tokens) while the provider's primary endpoint is up.
   */
  protected onProviderUnavailable(
    error: CaptchaUnavailableError,
    requirement: RequireCaptchaOptions,
    decision: CaptchaDecisionBase,
  ): CaptchaVerification {
    const mode = this.failureMode(requirement);
    const { provider, endpoint } = error;
    // `misconfigured` is always answered closed: it is our error, not an outage the fallback is
    // accepted for, and some of its codes (a token from another site key) can be provoked by the
    // client, so opening or switching providers on it would be a bypass.
    const misconfigured = error.kind === 'misconfigured';
    const degraded = error.kind === 'degraded';
    // Whether the provider itself is down, rather than something this client's token provoked (a
    // degraded reply, an outage of the endpoint it picked while the primary one is up). Only then
    // is the request failed open, or sent to a fallback provider (whose token tokenProvider()
    // accepts only while the primary is down); a fallback method (e.g. email OTP) is fine either way.
    const providerDown =
      !degraded && (endpoint === 'primary' || this.breakers.isDegraded(provider));
    const failOpen = mode === 'open' && !misconfigured && providerDown;
    let fallback = mode === 'fallback' && !misconfigured ? this.options.fallback : undefined;
    if (fallback && 'provider' in fallback && !providerDown) fallback = undefined;
    // The verification line of a fail-open is written by canActivate; outages that stop here are
    // written now.
    if (!failOpen) {
      this.decisions.record(decision, {
        provider,
        outcome: error.reason,
        policy: fallback ? 'fallback' : 'closed',
        degraded: degraded ? 'refused' : undefined,
        latencyMs: error.details.latencyMs,
        providerStatus: error.details.status,
        errorCodes: error.details.errorCodes,
      });
    }
    if (failOpen) {
      this.audit.emit({
        event: 'captcha.fail_open',
        provider,
        action: requirement.action,
        kind: error.kind,
      });
      return {
        success: false,
        degraded: true,
        provider,
        reason: 'provider_unavailable',
        errorCodes: [],
      };
    }
    const retryAfter = this.breakers.retryAfterSeconds(provider, endpoint);
    if (fallback && 'method' in fallback) {
      this.audit.emit({
        event: 'captcha.fallback_used',
        provider,
        action: requirement.action,
        fallback: fallback.method,
      });
      throw new CaptchaUnavailableException({ provider, fallback: fallback.method }, retryAfter);
    }
    if (fallback && fallback.provider !== provider) {
      this.audit.emit({
        event: 'captcha.fallback_used',
        provider,
        action: requirement.action,
        fallback: fallback.provider,
      });
      throw new CaptchaUnavailableException(
        { provider, fallback: fallback.provider },
        retryAfter,
        this.challengeDetails(requirement, fallback.provider),
      );
    }
    throw new CaptchaUnavailableException({ provider, fallback: null }, retryAfter);
  }

  /** The route's outage policy: its own `failureMode`, else the module's. */
  protected failureMode(requirement: RequireCaptchaOptions): CaptchaFailureMode {
    return requirement.failureMode ?? this.options.failureMode;
  }

  /** The fallback provider this route may switch to, if any. */
  protected fallbackProvider(requirement: RequireCaptchaOptions): CaptchaProviderName | undefined {
    const fallback = this.options.fallback;
    return this.failureMode(requirement) === 'fallback' && fallback && 'provider' in fallback
      ? fallback.provider
      : undefined;
  }

  /** The providers this route accepts, its preferred one first: `@RequireCaptcha({ provider })`, else the primary. */
  protected routeProviders(requirement: RequireCaptchaOptions): CaptchaProviderName[] {
    const { provider } = requirement;
    if (provider === undefined) return [this.verifier.providerName];
    // A wiring mistake, normally stopped at start-up by CaptchaRouteCheck; this catches routes it
    // cannot see (a subclass resolving requirements its own way).
    const problem = this.providers.problemWith(provider);
    if (problem) throw new Error(`${problem}; registered: ${this.providers.names.join(', ')}`);
    return Array.isArray(provider) ? [...provider] : [provider as CaptchaProviderName];
  }

  /** Which widget a challenge names: the fallback while the route's provider is down, else that provider. */
  protected challengeProvider(requirement: RequireCaptchaOptions): CaptchaProviderName {
    const fallback = this.fallbackProvider(requirement);
    const preferred = this.routeProviders(requirement)[0];
    return fallback && this.breakers.isDegraded(preferred) ? fallback : preferred;
  }

  /**
   * Which provider verifies the token: the one the client states (`captcha.provider`, the widget
   * field, `x-captcha-provider`) if the route accepts it, else the route's preferred provider; the
   * fallback only while the preferred one is down. `undefined` when the client states a provider
   * this route does not accept now, which is answered like a missing token, naming the provider
   * to use.
   */
  protected tokenProvider(
    request: unknown,
    requirement: RequireCaptchaOptions,
    context?: ExecutionContext,
  ): CaptchaProviderName | undefined {
    const accepted = this.routeProviders(requirement);
    // A message states its provider in its data only (`captcha.provider`).
    const stated = statedTokenProvider(
      context && isMessage(context) ? undefined : request,
      context && captchaInputOf(context),
    );
    if (stated === undefined) return accepted[0];
    if (accepted.includes(stated)) return stated;
    const fallback = this.fallbackProvider(requirement);
    return stated === fallback && this.breakers.isDegraded(accepted[0]) ? fallback : undefined;
  }

  /**
   * The store failed: 503 when `storeFailureMode` is `closed` (the default), else log and go on.
   * A claim refused because the claim budget is full is answered 503 under either policy: going
   * on without the claim would accept a replayed token.
   */
  protected onStoreFailure(error: CaptchaStoreError, during: 'condition' | 'claim'): void {
    const refused = error instanceof CaptchaClaimRefusedError;
    this.logger.error({
      event: refused ? 'captcha.claim_refused' : 'captcha.store_unavailable',
      during,
      cause: error.message,
    });
    if (refused || this.options.storeFailureMode === 'closed') {
      throw new CaptchaUnavailableException({
        provider: this.verifier.providerName,
        fallback: null,
      });
    }
  }

  protected challengeDetails(
    requirement: RequireCaptchaOptions,
    provider: CaptchaProviderName,
  ): CaptchaChallengeDetails {
    return challengeDetailsFor(this.providers, this.options, provider, requirement.action ?? null);
  }
}
