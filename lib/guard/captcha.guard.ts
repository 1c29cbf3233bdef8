import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { always } from '../conditions/always.condition';
import type { CaptchaContext } from '../conditions/captcha-condition';
import { explainCondition } from '../conditions/condition-internals';
import {
  CaptchaRequirement,
  type RequireCaptchaOptions,
} from '../decorators/require-captcha.decorator';
import { SkipCaptcha } from '../decorators/skip-captcha.decorator';
import {
  CaptchaInvalidException,
  CaptchaRequiredException,
  CaptchaUnavailableException,
  type CaptchaChallengeDetails,
} from '../errors/captcha.exception';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import { defaultTokenExtractor } from '../http/captcha-token-extractor';
import { CaptchaStoreError } from '../stores/captcha-store.error';
import { CaptchaVerifier } from '../verification/captcha-verifier.service';
import type { CaptchaVerification } from '../verification/captcha-verification.interface';
import { CaptchaContextFactory } from './captcha-context.factory';
import { setCaptchaContext, setCaptchaResult } from './captcha-request-state';

const ALWAYS = always();

/**
 * The checkpoint: skip? → condition → token? → verify → decide. Applied by `@RequireCaptcha()`;
 * written to be subclassed (the protected steps) for apps with their own request shapes.
 */
@Injectable()
export class CaptchaGuard implements CanActivate {
  private readonly logger = new Logger('CaptchaGuard');

  constructor(
    protected readonly reflector: Reflector,
    protected readonly verifier: CaptchaVerifier,
    @Inject(CAPTCHA_OPTIONS) protected readonly options: ResolvedCaptchaOptions,
    protected readonly contexts: CaptchaContextFactory,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.getRequirement(context);
    if (!requirement || (await this.shouldSkip(context))) return true;

    const request = this.getRequest(context);
    const captchaContext = this.contexts.create(context, request, requirement.action);
    setCaptchaContext(request as object, captchaContext);
    const condition = await this.firedCondition(requirement, captchaContext);
    if (!condition) return true;

    const token = this.extractToken(request);
    const decision = {
      action: requirement.action,
      condition,
      clientIp: captchaContext.clientIp,
      clientIpSource: captchaContext.clientIpSource,
    };
    if (token === undefined) {
      this.logger.log({ event: 'captcha.challenge', ...decision, outcome: 'missing' });
      throw new CaptchaRequiredException(this.challengeDetails(requirement));
    }

    const verification = await this.verify(token, requirement, captchaContext.clientIp);
    setCaptchaResult(request as object, verification);
    // Fields only: never the token or the request body.
    const logged = {
      event: 'captcha.verification',
      ...decision,
      provider: verification.provider,
      outcome: verification.reason ?? 'success',
      errorCodes: verification.errorCodes,
    };
    if (!verification.success && !verification.degraded) {
      this.logger.warn(logged);
      throw new CaptchaInvalidException({
        ...this.challengeDetails(requirement),
        reason: verification.reason ?? 'invalid',
      });
    }
    this.logger.debug(logged);
    return true;
  }

  /** The route's `@RequireCaptcha` options; handler-level options override class-level ones. */
  protected getRequirement(context: ExecutionContext): RequireCaptchaOptions | undefined {
    return this.reflector.getAllAndOverride(CaptchaRequirement, [
      context.getHandler(),
      context.getClass(),
    ]);
  }

  protected async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const skipped = this.reflector.getAllAndOverride(SkipCaptcha, [
      context.getHandler(),
      context.getClass(),
    ]);
    return (
      skipped === true ||
      (this.options.skipIf !== undefined && (await this.options.skipIf(context)))
    );
  }

  protected getRequest(context: ExecutionContext): unknown {
    return context.switchToHttp().getRequest();
  }

  protected extractToken(request: unknown): unknown {
    return (this.options.tokenExtractor ?? defaultTokenExtractor)(request);
  }

  /** The name of the condition that demands a challenge, or `undefined` when none does. */
  protected async firedCondition(
    requirement: RequireCaptchaOptions,
    context: CaptchaContext,
  ): Promise<string | undefined> {
    try {
      return await explainCondition(requirement.when ?? ALWAYS, context);
    } catch (error) {
      if (!(error instanceof CaptchaStoreError)) throw error;
      this.onStoreFailure(error, 'condition');
      // Open: without the store's answer the request is treated as calm.
      return undefined;
    }
  }

  /** Verifies, applying the outage policy: fail closed (503) unless `failureMode` is `open`. */
  protected async verify(
    token: unknown,
    requirement: RequireCaptchaOptions,
    remoteIp: string | undefined,
  ): Promise<CaptchaVerification> {
    try {
      return await this.verifier.verify(token, {
        action: requirement.action,
        remoteIp,
        minScore: requirement.minScore,
      });
    } catch (error) {
      if (error instanceof CaptchaStoreError) this.onStoreFailure(error, 'claim');
      if (!(error instanceof CaptchaUnavailableError)) throw error;
      const misconfigured = error.kind === 'misconfigured';
      this.logger.error({
        event: misconfigured ? 'captcha.misconfigured' : 'captcha.provider_unreachable',
        provider: error.provider,
        kind: error.kind,
        cause: error.message,
        ...error.details,
      });
      // Never fail open on `misconfigured`: some of those codes (a token from another site key)
      // can be provoked by the client, and opening on them would be a bypass.
      if (this.options.failureMode === 'open' && !misconfigured) {
        this.logger.warn({
          event: 'captcha.fail_open',
          provider: error.provider,
          action: requirement.action,
        });
        return {
          success: false,
          degraded: true,
          provider: error.provider,
          reason: 'provider_unavailable',
          errorCodes: [],
        };
      }
      throw new CaptchaUnavailableException({ provider: error.provider, fallback: null });
    }
  }

  /** The store failed: 503 when `storeFailureMode` is `closed` (the default), else log and go on. */
  protected onStoreFailure(error: CaptchaStoreError, during: 'condition' | 'claim'): void {
    this.logger.error({ event: 'captcha.store_unavailable', during, cause: error.message });
    if (this.options.storeFailureMode === 'closed') {
      throw new CaptchaUnavailableException({
        provider: this.verifier.providerName,
        fallback: null,
      });
    }
  }

  protected challengeDetails(requirement: RequireCaptchaOptions): CaptchaChallengeDetails {
    const details: CaptchaChallengeDetails = {
      provider: this.verifier.providerName,
      site_key: this.verifier.siteKey ?? null,
      action: requirement.action ?? null,
    };
    const challengePath = this.options.altcha.challengePath;
    if (details.provider === 'altcha' && challengePath) details.challenge_url = challengePath;
    return details;
  }
}
