import type { AltchaProvider } from './altcha.provider';
import type { CaptchaProviderName } from './captcha-provider-name';
import type { CaptchaProvider } from './captcha-provider.interface';

/**
 * The providers this module verifies with: the primary one, optionally a fallback, and any
 * others registered with `providers` (routes pick them with `@RequireCaptcha({ provider })`).
 */
export class CaptchaProviders {
  private readonly all: CaptchaProvider[];

  constructor(
    readonly primary: CaptchaProvider,
    readonly fallback?: CaptchaProvider,
    others: readonly CaptchaProvider[] = [],
  ) {
    this.all = [primary, ...(fallback ? [fallback] : []), ...others];
  }

  /** The provider with this name, if registered. */
  get(name: CaptchaProviderName): CaptchaProvider | undefined {
    return this.all.find((provider) => provider.name === name);
  }

  /** Every registered provider's name. */
  get names(): CaptchaProviderName[] {
    return this.all.map((provider) => provider.name);
  }

  /** The ALTCHA provider, primary or fallback, whose challenges the module serves. */
  get altcha(): AltchaProvider | undefined {
    return this.get('altcha') as AltchaProvider | undefined;
  }
}
