import { type DynamicModule, Module } from '@nestjs/common';
import { CAPTCHA_PROVIDER } from '../captcha.module-definition';
import { CaptchaModule } from '../captcha.module';
import type { CaptchaModuleOptions } from '../config/captcha-module-options.interface';
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
  /** Load even when `NODE_ENV=production`. Never set this outside a test runner. */
  allowInProduction?: boolean;
}

/**
 * The real {@link CaptchaModule} (guard, decorators, filter, options) with a provider that needs
 * no network and judges {@link CAPTCHA_TEST_TOKENS}. It refuses to load under
 * `NODE_ENV=production`, so it cannot become a production bypass.
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
    if (process.env.NODE_ENV === 'production' && !options.allowInProduction) {
      throw new Error(
        'CaptchaTestingModule refuses to load with NODE_ENV=production: it accepts test tokens without verification.',
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
