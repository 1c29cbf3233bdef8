import { type DynamicModule, Module } from '@nestjs/common';
import { CAPTCHA_PROVIDER } from '../captcha.module-definition';
import { CaptchaModule } from '../captcha.module';
import type { CaptchaModuleOptions } from '../config/captcha-module-options.interface';
import { processEnvironmentSignals, productionSignal } from '../config/production-environment';
import type { CaptchaProviderName } from '../providers/captcha-provider-name';
import { TestCaptchaProvider } from './test-captcha.provider';

/** Options of {@link CaptchaTestingModule.forRoot}. */
export interface CaptchaTestingOptions extends Omit<
  CaptchaModuleOptions,
  'provider' | 'secretKey' | 'verifyUrl'
> {
  /** The provider name the module reports in results and challenges. Default `'turnstile'`. */
  provider?: CaptchaProviderName;
  /** Score reported for `test-pass`. Default: none. */
  score?: number;
  /**
   * Load even in production (`NODE_ENV` or `CAPTCHA_ENV` is `production`, any casing). Never set
   * this outside a test runner.
   */
  allowInProduction?: boolean;
}

/**
 * The real {@link CaptchaModule} (guard, decorators, filter, options) with a provider that needs
 * no network and judges {@link CAPTCHA_TEST_TOKENS}. It refuses to load in production (`NODE_ENV`
 * or `CAPTCHA_ENV` is `production` in any casing, or `environment: 'production'`: the rule the
 * module's test-key check uses), so it cannot become a production bypass.
 *
 * @example
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [CaptchaTestingModule.forRoot(), AuthModule],
 * }).compile();
 * // then send { captchaToken: CAPTCHA_TEST_TOKENS.pass }
 * ```
 */
@Module({})
export class CaptchaTestingModule {
  static forRoot(options: CaptchaTestingOptions = {}): DynamicModule {
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
    const { provider = 'turnstile', score, allowInProduction: _allow, ...rest } = options;
    const siteKey = rest.siteKey ?? 'test-site-key';
    const real = CaptchaModule.forRoot({ ...rest, provider, siteKey, secretKey: 'test-secret' });
    return {
      ...real,
      providers: [
        ...(real.providers ?? []),
        { provide: CAPTCHA_PROVIDER, useValue: new TestCaptchaProvider(provider, siteKey, score) },
      ],
    };
  }
}
