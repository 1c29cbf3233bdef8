import { Inject, Injectable } from '@nestjs/common';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import {
  CaptchaInvalidException,
  CaptchaRequiredException,
  CaptchaUnavailableException,
} from '../errors/captcha.exception';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import { widgetProviderOf } from '../contracts/widget-provider';
import type {
  CaptchalaChallengeOptions,
  CaptchalaProvider,
  CaptchalaServerToken,
} from '../providers/captchala.provider';
import { CaptchaProviders } from '../providers/captcha-providers';
import { CaptchaMetrics } from '../observability/captcha-metrics';
import { CAPTCHA_TRACING } from '../observability/captcha-tracing';
import { ProviderCircuitBreakers } from '../resilience/provider-circuit-breakers';
import { CaptchaStoreError } from '../stores/captcha-store.error';
import { CaptchaStore } from '../stores/captcha-store.interface';
import { hashStoreKey } from '../stores/hash-store-key';
import type { CaptchaReason } from '../contracts/captcha-reason';
import type { CaptchaVerification, CaptchaVerifyOptions } from './captcha-verification.interface';
import { challengeDetailsFor } from './challenge-details';
import { claimOnce, releaseQuietly } from './claim-once';
import { judgeReply } from './judge-reply';
import { asProviderOutage, markOutage } from './outage-marking';

/** Printable ASCII without spaces: every provider's tokens fit; NUL bytes and unicode do not. */
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * Verifies CAPTCHA tokens with the configured provider. Inject it anywhere (services, gateways,
 * resolvers) when a guard does not fit.
 *
 * @example
 * ```ts
 * constructor(private readonly captcha: CaptchaVerifier) {}
 *
 * // In an HTTP service: the guard's answers (403 captcha_required / captcha_invalid, 503).
 * await this.captcha.verifyOrThrow(dto.captcha?.token, { action: 'comment', remoteIp });
 *
 * // Anywhere else (gateways, message handlers): the verdict, to answer in your own protocol.
 * const v = await this.captcha.verify(token, { action: 'comment', remoteIp });
 * if (!v.success) return { error: v.reason };
 * ```
 *
 * @public
 */
@Injectable()
export class CaptchaVerifier {
  constructor(
    private readonly providers: CaptchaProviders,
    @Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions,
    @Inject(CaptchaStore) private readonly store: CaptchaStore,
    private readonly breakers: ProviderCircuitBreakers,
    private readonly metrics: CaptchaMetrics,
  ) {}

  /** The primary provider this verifier asks. */
  get providerName(): CaptchaProviderName {
    // The primary is always a provider (`recaptcha-v2` is only ever a step-up).
    return widgetProviderOf(this.providers.primary.name);
  }

  /** The public site key clients render the primary widget with (absent for ALTCHA). */
  get siteKey(): string | undefined {
    return this.providers.primary.siteKey;
  }

  /**
   * Verifies a token with the primary provider, or with `call.provider` when it names the
   * fallback. Resolves with `success: false` and a reason for any bad token (including values
   * that are not strings); never throws for one.
   *
   * A degraded reply (a CaptchaLa `dg_` token with `captchala.acceptDegraded`, a `client_` token
   * with `captchala.acceptClientTokens`) is held to the same checks (action, hostname, score, age)
   * and fails with their reason; one that passes them resolves with `success: true, degraded: true`
   * only when `call.allowDegraded` is `true`. By default (fail-closed) it throws
   * {@link CaptchaUnavailableError} of kind `degraded`: treat it as an outage (503).
   *
   * @throws {@link CaptchaUnavailableError} when the provider cannot answer (timeout, network,
   *   5xx, 429, unreadable answer, circuit open), rejects our own secret, site key or request
   *   (`kind: 'misconfigured'`), or answered degraded without `call.allowDegraded`
   *   (`kind: 'degraded'`).
   */
  async verify(token: unknown, call: CaptchaVerifyOptions = {}): Promise<CaptchaVerification> {
    const started = performance.now();
    const action = call.action ?? 'none';
    // `undefined` (at no cost) unless an OpenTelemetry SDK is registered.
    const span = CAPTCHA_TRACING.start(call.provider ?? this.providers.primary.name, action);
    try {
      const verification = await (span
        ? CAPTCHA_TRACING.within(span, () => this.judge(token, call, started))
        : this.judge(token, call, started));
      const outcome = verification.reason ?? 'success';
      this.metrics.verification(
        verification.provider,
        action,
        outcome,
        verification.latencyMs! / 1000,
      );
      if (span) CAPTCHA_TRACING.end(span, outcome, verification.latencyMs);
      return verification;
    } catch (error) {
      const latencyMs = performance.now() - started;
      if (error instanceof CaptchaUnavailableError) {
        this.metrics.verification(error.provider, action, error.reason, latencyMs / 1000);
        markOutage(error, this.options, this.breakers);
        if (span) CAPTCHA_TRACING.end(span, error.reason, latencyMs, { kind: error.kind });
      } else if (span) {
        CAPTCHA_TRACING.end(span, 'error', latencyMs, { error: (error as Error)?.name });
      }
      throw error;
    }
  }

  /**
   * {@link verify} for HTTP services: resolves with the verification when it passed, and throws
   * the answers the guard gives otherwise, so one line gives a service the guard's contract.
   * {@link CaptchaExceptionFilter} (applied globally) adds `Retry-After` and the localized message;
   * without it Nest still answers the same status and body.
   *
   * - no token → {@link CaptchaRequiredException} (403 `captcha_required`, naming the provider: its
   *   `site_key`, or for ALTCHA the `challenge_url` for `call.action`);
   * - a bad token → {@link CaptchaInvalidException} (403 `captcha_invalid` with `details.reason`);
   * - the provider cannot answer, or the store fails under `storeFailureMode: 'closed'` →
   *   {@link CaptchaUnavailableException} (503 `captcha_unavailable` with `details.fallback` from
   *   the module's outage policy and `Retry-After`). `failureMode: 'open'` does not apply here:
   *   catch the exception to let a request through.
   *
   * @example
   * ```ts
   * await this.captcha.verifyOrThrow(dto.captcha?.token, { action: 'comment', remoteIp });
   * ```
   */
  async verifyOrThrow(
    token: unknown,
    call: CaptchaVerifyOptions = {},
  ): Promise<CaptchaVerification> {
    let verification: CaptchaVerification;
    try {
      verification = await this.verify(token, call);
    } catch (error) {
      if (error instanceof CaptchaUnavailableError) throw CaptchaUnavailableException.from(error);
      if (error instanceof CaptchaStoreError) {
        throw new CaptchaUnavailableException({ provider: this.providerName, fallback: null });
      }
      throw error;
    }
    if (verification.success) return verification;
    const details = challengeDetailsFor(
      this.providers,
      this.options,
      call.provider ?? this.providerName,
      call.action ?? null,
    );
    if (verification.reason === 'missing') throw new CaptchaRequiredException(details);
    throw new CaptchaInvalidException({ reason: verification.reason ?? 'invalid', ...details });
  }

  /**
   * Issues a CaptchaLa server token (`sct_…`) for the browser SDK to start a challenge with, from
   * the CaptchaLa provider (primary or fallback).
   *
   * @example
   * ```ts
   * const { serverToken } = await verifier.issueChallenge({ action: 'login', ttl: 300 });
   * ```
   * @throws Error when no CaptchaLa provider is configured; {@link CaptchaUnavailableError} when
   *   CaptchaLa cannot answer or refuses our keys.
   */
  async issueChallenge(options: CaptchalaChallengeOptions): Promise<CaptchalaServerToken> {
    const captchala = this.providers.get('captchala') as CaptchalaProvider | undefined;
    if (!captchala) {
      throw new Error(
        'issueChallenge needs the CaptchaLa provider: set provider or fallback.provider to "captchala"',
      );
    }
    return captchala.issueChallenge(options);
  }

  private async judge(
    token: unknown,
    call: CaptchaVerifyOptions,
    started: number,
  ): Promise<CaptchaVerification> {
    const latencyMs = () => Math.round((performance.now() - started) * 1000) / 1000;
    const provider = call.provider ? this.providers.get(call.provider) : this.providers.primary;
    if (!provider) {
      return {
        success: false,
        provider: call.provider!,
        reason: 'invalid',
        errorCodes: ['unknown-provider'],
      };
    }
    const failure = (reason: CaptchaReason): CaptchaVerification => ({
      success: false,
      provider: provider.name,
      reason,
      errorCodes: [],
      latencyMs: latencyMs(),
    });
    if (token === undefined) return failure('missing');
    if (
      typeof token !== 'string' ||
      token.length === 0 ||
      token.length > provider.maxTokenLength ||
      !TOKEN_CHARACTERS.test(token)
    ) {
      return failure('malformed');
    }

    const claimKey =
      provider.replayProtection === 'verifier' && !provider.isPublicTestToken?.(token)
        ? hashStoreKey(`claim:${provider.name}`, token)
        : undefined;
    const ttlMs = provider.tokenLifetimeSeconds * 1000;
    if (
      claimKey &&
      !(await claimOnce(this.store, claimKey, ttlMs, this.options.storeFailureMode))
    ) {
      return failure('duplicate');
    }

    let reply;
    try {
      const endpoint = provider.endpointOf?.(token);
      const ask = () => provider.verify(token, { remoteIp: call.remoteIp, action: call.action });
      // A local answer says nothing of the provider's health: no circuit to count it for or against.
      reply = await (endpoint === 'local'
        ? ask()
        : this.breakers.execute(provider.name, ask, endpoint));
    } catch (error) {
      // The provider never judged the token, so it must stay redeemable for a retry.
      if (claimKey) await releaseQuietly(this.store, claimKey);
      throw asProviderOutage(provider, error);
    }
    // The provider rejected the token itself, so it will again: its claim is dropped, and junk
    // tokens hold a claim only while their provider call is in flight (they cannot fill the
    // claim budget). A token the provider accepted keeps its claim, whatever the checks below say.
    if (claimKey && !reply.success) await releaseQuietly(this.store, claimKey);
    // A degraded reply is judged like any other: a failed site check refuses it with that reason.
    const reason = judgeReply(reply, call, this.options, Date.now(), provider.name);
    if (reply.degraded && reason === undefined && call.allowDegraded !== true) {
      // Not a full verification, and this caller did not opt in: the outage it is, for this
      // request only (kind `degraded` never counts against a circuit). Redeemable on a route that
      // accepts it, like any token the provider could not judge.
      if (claimKey) await releaseQuietly(this.store, claimKey);
      throw new CaptchaUnavailableError(
        provider.name,
        'degraded',
        `${provider.name} could not fully verify the token (degraded reply); ` +
          'accepted only where degraded replies are allowed (failureMode: open)',
        { status: reply.httpStatus, errorCodes: reply.errorCodes },
      );
    }
    const verification: CaptchaVerification = {
      success: reason === undefined,
      provider: provider.name,
      action: reply.action,
      hostname: reply.hostname,
      score: reply.score,
      challengeTs: reply.challengeTs,
      errorCodes: reply.errorCodes,
      latencyMs: latencyMs(),
    };
    // Optional fields only when set: absent, not `undefined`.
    if (reason) verification.reason = reason;
    if (reply.reasons) verification.reasons = reply.reasons;
    // Only a reply the provider passed can be degraded: a refusal stays a plain refusal, so
    // nothing but the guard's own fail-open reads as `degraded` with `provider_unavailable`.
    if (reply.degraded && reply.success) verification.degraded = true;
    if (reply.httpStatus !== undefined) verification.httpStatus = reply.httpStatus;
    return verification;
  }
}
