import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import {
  CAPTCHA_MODULE_OPTIONS,
  CAPTCHA_OPTIONS,
  CAPTCHA_PROVIDER,
} from '../captcha.module-definition';
import { CaptchaModule } from '../captcha.module';
import type {
  CaptchaAuditEvent,
  CaptchaAuditSink,
  CaptchaModuleOptions,
} from '../config/captcha-module-options.interface';
import { processEnvironmentSignals, productionSignal } from '../config/production-environment';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import { CaptchaDecisionLog } from '../observability/captcha-decision-log';
import { CaptchaOutageLog } from '../observability/captcha-outage-log';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import { TestCaptchaProvider } from './test-captcha.provider';

/**
 * Options of {@link CaptchaTestingModule.forRoot} and {@link CaptchaTestingModule.override}.
 *
 * @public
 */
export interface CaptchaTestingOptions extends Omit<
  CaptchaModuleOptions,
  'provider' | 'secretKey' | 'verifyUrl'
> {
  /** The provider name the module reports in results and challenges. Default `'turnstile'`. */
  provider?: CaptchaProviderName;
  /** Score reported for `test-pass`. Default: none. */
  score?: number;
  /**
   * Write decision logs and audit events at their usual levels (rejections at warn, outages at
   * error) instead of at debug. Default `false`: a test that sends `test-unavailable` on purpose
   * does not print an error.
   */
  verboseLogs?: boolean;
  /**
   * Load even in production (`NODE_ENV` or `CAPTCHA_ENV` is `production`, any casing). Never set
   * this outside a test runner.
   */
  allowInProduction?: boolean;
}

/**
 * The part of `@nestjs/testing`'s `TestingModuleBuilder` that {@link CaptchaTestingModule.override}
 * uses (typed structurally so that this package does not depend on `@nestjs/testing`).
 *
 * @public
 */
export interface CaptchaOverridableBuilder<B> {
  overrideProvider(token: unknown): {
    useValue(value: unknown): B;
    useFactory(options: { factory: (...args: never[]) => unknown; inject?: unknown[] }): B;
  };
}

/** The testing module's pieces, from its options; refuses in production. */
function testingParts(options: CaptchaTestingOptions) {
  // The module's own production rule: NODE_ENV, CAPTCHA_ENV or `environment`, any casing.
  const production = productionSignal({
    ...processEnvironmentSignals(),
    environment: options.environment,
  });
  if (production !== undefined && !options.allowInProduction) {
    throw new Error(
      `CaptchaTestingModule refuses to load in production (${production}): it accepts test tokens without verification.`,
    );
  }
  const {
    provider = 'turnstile',
    score,
    verboseLogs = false,
    allowInProduction: _allow,
    ...rest
  } = options;
  const siteKey = rest.siteKey ?? 'test-site-key';
  const moduleOptions: CaptchaModuleOptions = {
    ...rest,
    provider,
    siteKey,
    secretKey: 'test-secret',
    ...(verboseLogs || rest.auditSink ? {} : { auditSink: new DebugAuditSink() }),
  };
  const testProvider = new TestCaptchaProvider(provider, siteKey, score);
  const decisionLog = verboseLogs
    ? undefined
    : (resolved: ResolvedCaptchaOptions) => new DebugDecisionLog(resolved);
  const outageLog = verboseLogs
    ? undefined
    : (resolved: ResolvedCaptchaOptions) => new DebugOutageLog(resolved);
  return { moduleOptions, testProvider, decisionLog, outageLog };
}

/** Decision lines at debug whatever the outcome: tests provoke failures on purpose. */
class DebugDecisionLog extends CaptchaDecisionLog {
  protected override levelOf(): 'debug' {
    return 'debug';
  }
}

/** Outage lines at debug: tests provoke outages on purpose. */
class DebugOutageLog extends CaptchaOutageLog {
  private readonly debugLogger = new Logger('CaptchaOutage');

  protected override write(_level: 'error' | 'warn', line: Record<string, unknown>): void {
    this.debugLogger.debug(line);
  }
}

/** Audit events (outages, fail-open, …) at debug, through Nest's `Logger` like the default sink. */
class DebugAuditSink implements CaptchaAuditSink {
  private readonly logger = new Logger('CaptchaAudit');

  emit(event: CaptchaAuditEvent): void {
    this.logger.debug(event);
  }
}

/**
 * The real {@link CaptchaModule} (guard, decorators, filter, single-use claims) with a provider
 * that needs no network and judges {@link CAPTCHA_TEST_TOKENS}. Decision logs, outage lines and
 * audit events are written at debug (`verboseLogs: true` for the usual levels). It refuses to
 * load in production (`NODE_ENV` or `CAPTCHA_ENV` is `production` in any casing, or
 * `environment: 'production'`: the rule the module's test-key check uses), so it cannot become a
 * production bypass.
 *
 * Two ways in: {@link CaptchaTestingModule.forRoot} in a test module's imports, or
 * {@link CaptchaTestingModule.override} on a builder that imports the whole app (which uses
 * `CaptchaModule.forRoot` or `forRootAsync`).
 *
 * @example
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [CaptchaTestingModule.forRoot(), AuthModule],
 * }).compile();
 * // then send { captchaToken: CAPTCHA_TEST_TOKENS.pass }
 * ```
 *
 * @public
 */
@Module({})
export class CaptchaTestingModule {
  /** A `CaptchaModule.forRoot` with the test provider, for a test module's `imports`. */
  static forRoot(options: CaptchaTestingOptions = {}): DynamicModule {
    const { moduleOptions, testProvider, decisionLog, outageLog } = testingParts(options);
    const real = CaptchaModule.forRoot(moduleOptions);
    const overrides: Provider[] = [{ provide: CAPTCHA_PROVIDER, useValue: testProvider }];
    if (decisionLog && outageLog) {
      overrides.push(
        { provide: CaptchaDecisionLog, inject: [CAPTCHA_OPTIONS], useFactory: decisionLog },
        { provide: CaptchaOutageLog, inject: [CAPTCHA_OPTIONS], useFactory: outageLog },
      );
    }
    // Later providers win over the module's own for the same token.
    return { ...real, providers: [...(real.providers ?? []), ...overrides] };
  }

  /**
   * Puts the test provider into an app's own `CaptchaModule` (from `forRoot` or `forRootAsync`)
   * on a `Test.createTestingModule(...)` builder, and returns the builder. The app's CAPTCHA
   * options (its `useFactory`, e.g. `captchaOptionsFromEnv`) are replaced by `options`, so the
   * test needs no `CAPTCHA_*` variables.
   *
   * `overrideModule(CaptchaModule).useModule(...)` cannot do this: Nest matches the import object
   * itself, and `forRootAsync(...)` returns a new object, so the real module stays.
   *
   * @example
   * ```ts
   * const moduleRef = await CaptchaTestingModule.override(
   *   Test.createTestingModule({ imports: [AppModule] }),
   * ).compile();
   * ```
   */
  static override<B extends CaptchaOverridableBuilder<B>>(
    builder: B,
    options: CaptchaTestingOptions = {},
  ): B {
    const { moduleOptions, testProvider, decisionLog, outageLog } = testingParts(options);
    let result = builder
      .overrideProvider(CAPTCHA_MODULE_OPTIONS)
      .useValue(moduleOptions)
      .overrideProvider(CAPTCHA_PROVIDER)
      .useValue(testProvider);
    if (decisionLog && outageLog) {
      result = result
        .overrideProvider(CaptchaDecisionLog)
        .useFactory({ factory: decisionLog, inject: [CAPTCHA_OPTIONS] })
        .overrideProvider(CaptchaOutageLog)
        .useFactory({ factory: outageLog, inject: [CAPTCHA_OPTIONS] });
    }
    return result;
  }
}
