// Over 300 lines: the checkpoint's story, then the protected steps subclasses override (README).
import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type {
  CaptchaAuditSink,
  CaptchaFailureMode,
} from '../config/captcha-module-options.interface';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { always } from '../conditions/always.condition';
import type { CaptchaContext } from '../conditions/captcha-condition';
import { explainCondition } from '../conditions/condition-internals';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import type { CaptchaChallengeDetails } from '../contracts/captcha-error-body';
import { CaptchaInvalidException, CaptchaRequiredException } from '../errors/captcha.exception';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import { captchaRequestOf } from '../http/captcha-request';
import { CAPTCHA_BODY_FIELDS } from '../http/captcha-token-extractor';
import { CAPTCHA_AUDIT_SINK } from '../observability/captcha-audit-sink';
import {
  CaptchaDecisionLog,
  type CaptchaDecisionBase,
} from '../observability/captcha-decision-log';
import { CaptchaMetrics } from '../observability/captcha-metrics';
import type { CaptchaProviderName, CaptchaVerifierName } from '../contracts/captcha-provider-name';
import { CaptchaProviders } from '../providers/captcha-providers';
import { ProviderCircuitBreakers } from '../resilience/provider-circuit-breakers';
import { CaptchaStoreError } from '../stores/captcha-store.error';
import { captchaStateCarrierOf } from '../transports/captcha-transport';
import { verifyOncePerOperation } from '../transports/graphql-verification-memo';
import { CaptchaVerifier } from '../verification/captcha-verifier.service';
import type { CaptchaVerification } from '../verification/captcha-verification.interface';
import { CaptchaContextFactory } from './captcha-context.factory';
import { captchaTokenOf, statedProviderOf, stripCaptchaFields } from './captcha-input';
import { setCaptchaContext, setCaptchaResult } from './captcha-request-state';
import { ChallengeRecorder, judgeVerification, type ChallengeOutcome } from './challenge-outcome';
import { ClearancePolicy } from '../clearance/clearance-policy';
import { reportOnFinish, reportRefused, type OutcomeReporting } from './outcome-reporting';
import { ProviderOutagePolicy } from './provider-outage-policy';
import { RouteMetadataCache } from './route-metadata';
import { CaptchaRouteProviders } from './route-providers';
import { StepUpPolicy } from './step-up-policy';
import { applyStoreFailurePolicy } from './store-failure-policy';
import { WsIdentityCheck } from './ws-identity-check';

const ALWAYS = always();

/**
 * The checkpoint: requirement → skip? → condition → token → provider → verify → decide. Applied by
 * `@RequireCaptcha()`; written to be subclassed (the protected steps) for apps with their own
 * request shapes. Each policy it applies lives beside it: which provider (`route-providers`),
 * outages (`provider-outage-policy`), store failures, outcome reporting, the decision record,
 * step-up (`step-up-policy`) and clearance (`../clearance/clearance-policy`).
 *
 * @public
 */
@Injectable()
export class CaptchaGuard implements CanActivate {
  private readonly logger = new Logger('CaptchaGuard');
  private readonly routes: RouteMetadataCache;
  private readonly routeProviderRules: CaptchaRouteProviders;
  private readonly outages: ProviderOutagePolicy;
  private readonly recorder: ChallengeRecorder;
  private readonly stepUps: StepUpPolicy;
  /** `undefined` unless the module's `clearance` is set. */
  private readonly clearances: ClearancePolicy | undefined;
  private readonly wsIdentity = new WsIdentityCheck(this.logger);
  /** The body fields removed from a request the checkpoint lets through (`stripTokenFields`). */
  private readonly strippedFields: readonly string[];

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
    this.routes = new RouteMetadataCache(reflector);
    this.routeProviderRules = new CaptchaRouteProviders(
      options,
      (requirement) => this.failureMode(requirement),
      verifier,
      providers,
      breakers,
    );
    this.outages = new ProviderOutagePolicy(options, breakers, this.routeProviderRules);
    this.recorder = new ChallengeRecorder(decisions, metrics, audit);
    this.stepUps = new StepUpPolicy(options, providers, {
      accepted: (requirement) => this.routeProviders(requirement),
      challenged: (requirement) => this.challengeProvider(requirement),
      details: (requirement, provider) => this.challengeDetails(requirement, provider),
      onStoreFailure: (error) => this.onStoreFailure(error, 'claim'),
    });
    this.clearances =
      options.clearance &&
      new ClearancePolicy(options.clearance, metrics, (error) =>
        this.onStoreFailure(error, 'clearance'),
      );
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const requirement = this.getRequirement(context);
    if (!requirement) return true;
    const skip = this.shouldSkip(context);
    // A `@SkipCaptcha()` handler is exempt: its body is left as it came. A request `skipIf`
    // bypasses keeps the route's body shape (the same DTO, whatever the risk).
    if (skip === true) return this.routes.of(context).skipped ? true : this.letThrough(context);
    if (skip !== false) {
      return skip.then((skipped) =>
        skipped ? this.letThrough(context) : this.check(context, requirement),
      );
    }
    return this.check(context, requirement);
  }

  /**
   * Condition, then (when it fires) token and verification. Synchronous while nothing needs a
   * promise. Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-calm-path
   */
  private check(
    context: ExecutionContext,
    requirement: RequireCaptchaOptions,
  ): boolean | Promise<boolean> {
    const request = this.getRequest(context);
    const captchaContext = this.contexts.create(context, request, requirement.action);
    const reporting = this.routes.reporting(context, requirement);
    if (context.getType() === 'ws') {
      this.wsIdentity.check(context, request, captchaContext, requirement, () =>
        this.challengeProvider(requirement),
      );
    }
    // The outcome interceptor finds the context here; status reporting keeps it in a closure.
    if (reporting === 'interceptor')
      setCaptchaContext(captchaStateCarrierOf(context), captchaContext);
    let fired: string | undefined | Promise<string | undefined>;
    try {
      fired = explainCondition(requirement.when ?? ALWAYS, captchaContext);
    } catch (error) {
      fired = Promise.reject(error);
    }
    const decide = (condition: string | undefined): boolean | Promise<boolean> =>
      condition === undefined
        ? this.pass(context, request, requirement, captchaContext, reporting)
        : this.challenge(context, request, requirement, captchaContext, condition, reporting);
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
    return decided.catch((error: unknown) =>
      reportRefused(requirement, captchaContext, error, this.logger),
    );
  }

  /** A condition fired: the token is demanded and verified, the decision recorded once. */
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
    // A valid clearance lets the request through without a token (README: Clearance).
    if (
      this.clearances !== undefined &&
      (await this.clearances.honour(context, request, requirement, captchaContext))
    ) {
      this.recorder.recordClearance(decision, this.challengeProvider(requirement));
      return this.pass(context, request, requirement, captchaContext, reporting);
    }
    // A token stated for the route's step-up provider: verified only by spending a grant.
    const stepUp =
      provider === undefined && token !== undefined
        ? this.stepUps.stated(requirement, () => statedProviderOf(request, context))
        : undefined;
    // No grant to spend: refused before any provider call.
    const notGranted =
      stepUp === undefined
        ? undefined
        : await this.stepUps.admitOnce(context, captchaContext, requirement, stepUp, token);
    const verifying = provider ?? stepUp;
    let outcome: ChallengeOutcome;
    if (notGranted !== undefined) {
      outcome = notGranted;
    } else if (token === undefined || verifying === undefined) {
      outcome = this.demandToken(requirement, token === undefined);
    } else {
      try {
        const { clientIp } = captchaContext;
        const interactive = stepUp !== undefined;
        // GraphQL: one verification serves a protected field at every list index of one
        // operation (`posts { privateNote }`); aliases and batched operations each need their own.
        const verification = await (context.getType<string>() === 'graphql'
          ? verifyOncePerOperation(context.getArgByIndex(3), verifying, token, () =>
              this.verify(token, requirement, clientIp, verifying, decision, interactive),
            )
          : this.verify(token, requirement, clientIp, verifying, decision, interactive));
        outcome = this.judge(context, verification, requirement, captchaContext, verifying);
        if (verification.reason === 'score_too_low') {
          outcome = await this.stepUps.afterLowScore(outcome, requirement, captchaContext);
        }
      } catch (error) {
        // The outage policy's refusal is recorded like any decision; anything else propagates.
        const outage = this.outages.take(error);
        if (!outage || !('refusal' in outage)) throw error;
        outcome = outage;
      }
    }
    this.recorder.record(decision, outcome);
    if (outcome.refusal) throw outcome.refusal;
    if (captchaContext.verified)
      this.clearances?.issue(context, request, requirement, captchaContext);
    return this.pass(context, request, requirement, captchaContext, reporting);
  }

  /** No token, or one for a provider the route does not accept now: a challenge names the widget. */
  private demandToken(requirement: RequireCaptchaOptions, missing: boolean): ChallengeOutcome {
    const provider = this.challengeProvider(requirement);
    return {
      verdict: { provider, outcome: missing ? 'missing' : 'provider_not_accepted' },
      refusal: new CaptchaRequiredException(this.challengeDetails(requirement, provider)),
    };
  }

  /** Judges the verification (the provider's reply, or the outage policy's fail-open). */
  private judge(
    context: ExecutionContext,
    verification: CaptchaVerification,
    requirement: RequireCaptchaOptions,
    captchaContext: CaptchaContext,
    provider: CaptchaVerifierName,
  ): ChallengeOutcome {
    if (this.routes.of(context).readsResult) {
      setCaptchaResult(captchaStateCarrierOf(context), verification);
    }
    const audit = verification.degraded ? this.outages.take(verification)?.audit : undefined;
    const judged = judgeVerification(verification, this.decisions, audit);
    if (!judged.passed) {
      const details = this.challengeDetails(requirement, provider);
      const reason = verification.reason ?? 'invalid';
      judged.refusal = new CaptchaInvalidException({ reason, ...details });
    } else if (verification.success) {
      // A solved challenge (not a degraded pass): `failedAttempts` may clear its count on success.
      captchaContext.verified = true;
    }
    return judged;
  }

  /** The request passes: outcome reporting set up, CAPTCHA fields stripped. */
  private pass(
    context: ExecutionContext,
    request: unknown,
    requirement: RequireCaptchaOptions,
    captchaContext: CaptchaContext,
    reporting: OutcomeReporting,
  ): true {
    if (reporting !== 'none')
      reportOnFinish(context, requirement, captchaContext, reporting, this.logger);
    return this.letThrough(context, request);
  }

  // The steps a subclass may change (README, API: `CaptchaGuard`).

  /** Lets the request through, its CAPTCHA fields stripped (`stripTokenFields`) so the app's DTO sees its own. */
  protected letThrough(context: ExecutionContext, request?: unknown): true {
    if (this.strippedFields.length === 0) return true;
    request ??= context.getType() === 'http' ? this.getRequest(context) : undefined;
    stripCaptchaFields(context, request, this.strippedFields);
    return true;
  }

  /** The route's `@RequireCaptcha` options; handler-level options override class-level ones. */
  protected getRequirement(context: ExecutionContext): RequireCaptchaOptions | undefined {
    return this.routes.of(context).requirement;
  }

  /** `@SkipCaptcha()` on the route, or the module's `skipIf`. */
  protected shouldSkip(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.routes.of(context).skipped) return true;
    const { skipIf } = this.options;
    if (skipIf === undefined) return false;
    const skip = skipIf(context);
    return typeof skip === 'boolean' ? skip : Promise.resolve(skip).then(Boolean);
  }

  /** The HTTP request, for controllers and GraphQL resolvers alike ({@link captchaRequestOf}). */
  protected getRequest(context: ExecutionContext): unknown {
    return captchaRequestOf(context);
  }

  /** The token: the handler's input first, then the request through `tokenExtractor`. */
  protected extractToken(request: unknown, context?: ExecutionContext): unknown {
    return captchaTokenOf(request, context, this.options.tokenExtractor);
  }

  /**
   * Verifies, applying the outage policy. The guard decides only fail-open; the closed and
   * fallback answers are thrown as `CaptchaUnavailableException` for the filter to render.
   */
  protected verify(
    token: unknown,
    requirement: RequireCaptchaOptions,
    remoteIp: string | undefined,
    provider: CaptchaVerifierName,
    decision: CaptchaDecisionBase,
    /** The interactive token of a step-up: no score threshold applies. */
    interactive = false,
  ): Promise<CaptchaVerification> {
    // One promise layer (no `async`): the verifier's own, with the outage policy on rejection.
    return this.verifier
      .verify(token, {
        action: requirement.action,
        remoteIp,
        minScore: requirement.minScore,
        interactive,
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
   * The provider could not answer: the outage policy's pass (fail-open, marked degraded), or its
   * refusal thrown. Either is recorded once the challenge is decided (`decision` is kept for
   * subclasses that log their own way).
   */
  protected onProviderUnavailable(
    error: CaptchaUnavailableError,
    requirement: RequireCaptchaOptions,
    _decision: CaptchaDecisionBase,
  ): CaptchaVerification {
    const answer = this.outages.answer(error, requirement, this.failureMode(requirement));
    if ('refusal' in answer) throw answer.refusal;
    return answer.pass;
  }

  /** The route's outage policy: its own `failureMode`, else the module's. */
  protected failureMode(requirement: RequireCaptchaOptions): CaptchaFailureMode {
    return requirement.failureMode ?? this.options.failureMode;
  }

  /** The fallback provider this route may switch to, if any. */
  protected fallbackProvider(requirement: RequireCaptchaOptions): CaptchaProviderName | undefined {
    return this.routeProviderRules.fallbackProvider(requirement);
  }

  /** The providers this route accepts, its preferred one first: `@RequireCaptcha({ provider })`, else the primary. */
  protected routeProviders(requirement: RequireCaptchaOptions): CaptchaProviderName[] {
    return this.routeProviderRules.accepted(requirement);
  }

  /** Which widget a challenge names: the fallback while the route's provider is down, else that provider. */
  protected challengeProvider(requirement: RequireCaptchaOptions): CaptchaProviderName {
    return this.routeProviderRules.challenged(requirement);
  }

  /** Which provider verifies the token (`undefined`: one the route does not accept now). */
  protected tokenProvider(
    request: unknown,
    requirement: RequireCaptchaOptions,
    context?: ExecutionContext,
  ): CaptchaProviderName | undefined {
    return this.routeProviderRules.verifying(requirement, statedProviderOf(request, context));
  }

  /** The store failed: the store-failure policy (`storeFailureMode`) logs it and may refuse. */
  protected onStoreFailure(
    error: CaptchaStoreError,
    during: 'condition' | 'claim' | 'clearance',
  ): void {
    const { storeFailureMode } = this.options;
    const provider = this.verifier.providerName;
    applyStoreFailurePolicy(error, during, storeFailureMode, provider, this.logger);
  }

  /** What a challenge for `provider` tells the client (site key, widget, challenge URL). */
  protected challengeDetails(
    requirement: RequireCaptchaOptions,
    provider: CaptchaVerifierName,
  ): CaptchaChallengeDetails {
    return this.routeProviderRules.challengeDetails(requirement, provider);
  }
}
