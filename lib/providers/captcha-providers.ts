import type { AltchaProvider } from './altcha.provider';
import type { CaptchaProviderName } from './captcha-provider-name';
import type { CaptchaProvider } from './captcha-provider.interface';

/** The providers this module verifies with: the primary one and, optionally, its fallback. */
export class CaptchaProviders {
  constructor(
    readonly primary: CaptchaProvider,
    readonly fallback?: CaptchaProvider,
  ) {}

  /** The provider with this name, if registered. */
  get(name: CaptchaProviderName): CaptchaProvider | undefined {
    return [this.primary, this.fallback].find((provider) => provider?.name === name);
  }

  /** The ALTCHA provider, primary or fallback, whose challenges the module serves. */
  get altcha(): AltchaProvider | undefined {
    return this.get('altcha') as AltchaProvider | undefined;
  }
}
