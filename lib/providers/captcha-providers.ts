import type { AltchaProvider } from './altcha.provider';
import type { CaptchaProviderName, CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { CaptchaProvider } from './captcha-provider.interface';

/**
 * The providers this module verifies with: the primary one, optionally a fallback, and any
 * others registered with `providers` (routes pick them with `@RequireCaptcha({ provider })`) or
 * `stepUp` (the interactive step-up after a low score).
 *
 * @internal
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

  /** The provider (or the `recaptcha-v2` step-up) with this name, if registered. */
  get(name: CaptchaVerifierName): CaptchaProvider | undefined {
    return this.all.find((provider) => provider.name === name);
  }

  /**
   * What is wrong with a route's `@RequireCaptcha({ provider })`, or `undefined` when every name
   * it lists is registered. Shared by the start-up check and the guard.
   */
  problemWith(wanted: CaptchaProviderName | readonly CaptchaProviderName[]): string | undefined {
    const names: readonly CaptchaProviderName[] = Array.isArray(wanted)
      ? wanted
      : [wanted as CaptchaProviderName];
    const unknown = names.filter((name) => !this.get(name));
    if (unknown.length === 0 && names.length > 0) return undefined;
    return `@RequireCaptcha({ provider }) names ${unknown.join(', ') || 'no provider'}`;
  }

  /** Every registered provider's name. */
  get names(): CaptchaVerifierName[] {
    return this.all.map((provider) => provider.name);
  }

  /** The ALTCHA provider, primary or fallback, whose challenges the module serves. */
  get altcha(): AltchaProvider | undefined {
    return this.get('altcha') as AltchaProvider | undefined;
  }
}
