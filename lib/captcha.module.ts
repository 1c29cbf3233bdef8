import { Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AltchaChallengeMiddleware } from './altcha/altcha-challenge.middleware';
import { CaptchalaChallengeMiddleware } from './captchala/captchala-challenge.middleware';
import {
  CAPTCHA_MODULE_OPTIONS,
  CAPTCHA_OPTIONS,
  CAPTCHA_PROVIDER,
  ConfigurableCaptchaModule,
} from './captcha.module-definition';
import type { CaptchaModuleOptions } from './config/captcha-module-options.interface';
import { processEnvironmentSignals } from './config/production-environment';
import { resolveCaptchaOptions } from './config/resolve-captcha-options';
import type { ResolvedCaptchaOptions } from './config/resolved-captcha-options';
import { CaptchaExceptionFilter } from './errors/captcha-exception.filter';
import { CaptchaClearances } from './clearance/captcha-clearances.service';
import { CaptchaRiskService } from './conditions/captcha-risk.service';
import { CaptchaContextFactory } from './guard/captcha-context.factory';
import { CaptchaGuard } from './guard/captcha.guard';
import { CaptchaOutcomeRouting } from './guard/captcha-outcome-routing';
import { CaptchaRouteCheck } from './guard/captcha-route-check';
import { CaptchaRouteScan } from './guard/captcha-route-scan';
import { CaptchaOutcomeInterceptor } from './guard/captcha-outcome.interceptor';
import { ClientIpResolver } from './http/client-ip-resolver';
import { CaptchaProviders } from './providers/captcha-providers';
import type { CaptchaProvider } from './providers/captcha-provider.interface';
import {
  createCaptchaProvider,
  createExtraProviders,
  createFallbackProvider,
} from './providers/create-captcha-provider';
import { CAPTCHA_AUDIT_SINK, LoggerAuditSink } from './observability/captcha-audit-sink';
import { ProviderCircuitBreakers } from './resilience/provider-circuit-breakers';
import { CaptchaDecisionLog } from './observability/captcha-decision-log';
import { CaptchaOutageLog } from './observability/captcha-outage-log';
import { CaptchaMetrics } from './observability/captcha-metrics';
import { ProviderHttpClient } from './providers/provider-http-client';
import { CaptchaStore } from './stores/captcha-store.interface';
import { WsUpgradeRequests } from './transports/ws-upgrade-requests';
import { createCaptchaStore } from './stores/create-captcha-store';
import { CaptchaVerifier } from './verification/captcha-verifier.service';

/**
 * Registers the CAPTCHA checkpoint: {@link CaptchaVerifier}, {@link CaptchaGuard} and, for ALTCHA,
 * the challenge route. Global by default (`isGlobal: false` to scope it).
 *
 * @example
 * ```ts
 * CaptchaModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => captchaOptionsFromEnv(config),
 * })
 * ```
 *
 * @public
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: CAPTCHA_OPTIONS,
      inject: [CAPTCHA_MODULE_OPTIONS],
      useFactory: (options: CaptchaModuleOptions) =>
        resolveCaptchaOptions(options, processEnvironmentSignals()),
    },
    {
      provide: CaptchaStore,
      inject: [CAPTCHA_OPTIONS, CaptchaMetrics, CaptchaOutageLog],
      useFactory: createCaptchaStore,
    },
    {
      provide: ClientIpResolver,
      inject: [CAPTCHA_OPTIONS],
      useFactory: (options: ResolvedCaptchaOptions) =>
        new ClientIpResolver(options.trustProxy, {
          header: options.clientIpHeader,
          ipv6Prefix: options.ipv6Prefix,
        }),
    },
    ProviderHttpClient,
    {
      provide: CAPTCHA_PROVIDER,
      inject: [CAPTCHA_OPTIONS, ProviderHttpClient, CaptchaStore],
      useFactory: createCaptchaProvider,
    },
    {
      provide: CaptchaProviders,
      inject: [CAPTCHA_PROVIDER, CAPTCHA_OPTIONS, ProviderHttpClient, CaptchaStore],
      useFactory: (
        primary: CaptchaProvider,
        options: ResolvedCaptchaOptions,
        http: ProviderHttpClient,
        store: CaptchaStore,
      ) =>
        new CaptchaProviders(
          primary,
          createFallbackProvider(options, http, store),
          createExtraProviders(options, http, store),
        ),
    },
    {
      provide: CAPTCHA_AUDIT_SINK,
      inject: [CAPTCHA_OPTIONS],
      useFactory: (options: ResolvedCaptchaOptions) => options.auditSink ?? new LoggerAuditSink(),
    },
    ProviderCircuitBreakers,
    CaptchaMetrics,
    CaptchaDecisionLog,
    CaptchaOutageLog,
    CaptchaVerifier,
    CaptchaContextFactory,
    CaptchaRiskService,
    CaptchaGuard,
    CaptchaOutcomeInterceptor,
    CaptchaRouteScan,
    CaptchaOutcomeRouting,
    CaptchaExceptionFilter,
    AltchaChallengeMiddleware,
    CaptchalaChallengeMiddleware,
    CaptchaRouteCheck,
    WsUpgradeRequests,
    CaptchaClearances,
  ],
  exports: [
    CAPTCHA_OPTIONS,
    CAPTCHA_PROVIDER,
    CaptchaProviders,
    CAPTCHA_AUDIT_SINK,
    ProviderCircuitBreakers,
    CaptchaMetrics,
    CaptchaDecisionLog,
    CaptchaStore,
    ClientIpResolver,
    CaptchaVerifier,
    CaptchaContextFactory,
    CaptchaRiskService,
    CaptchaGuard,
    CaptchaOutcomeInterceptor,
    CaptchaExceptionFilter,
    CaptchaClearances,
  ],
})
export class CaptchaModule extends ConfigurableCaptchaModule implements NestModule {
  constructor(
    @Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions,
    private readonly providers: CaptchaProviders,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    const path = this.options.altcha.challengePath;
    if (this.providers.altcha && path) {
      consumer.apply(AltchaChallengeMiddleware).forRoutes({ path, method: RequestMethod.GET });
    }
    const captchalaPath = this.options.captchala?.challengePath;
    if (this.providers.get('captchala') && captchalaPath) {
      consumer
        .apply(CaptchalaChallengeMiddleware)
        .forRoutes({ path: captchalaPath, method: RequestMethod.GET });
    }
  }
}
