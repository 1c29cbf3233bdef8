import { RECAPTCHA_V2_STEP_UP } from '../contracts/captcha-provider-name';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { CaptchaStore } from '../stores/captcha-store.interface';
import { AltchaProvider } from './altcha.provider';
import type { CaptchaProvider } from './captcha-provider.interface';
import { CaptchalaProvider } from './captchala.provider';
import { FriendlyCaptchaProvider } from './friendly-captcha.provider';
import { HcaptchaProvider } from './hcaptcha.provider';
import type { ProviderHttpClient } from './provider-http-client';
import { RecaptchaEnterpriseProvider } from './recaptcha-enterprise.provider';
import { RecaptchaProvider } from './recaptcha.provider';
import { TurnstileProvider } from './turnstile.provider';

/**
 * Builds the configured provider. Options are validated before, so the name is a supported one.
 *
 * @internal
 */
export function createCaptchaProvider(
  options: ResolvedCaptchaOptions,
  http: ProviderHttpClient,
  store: CaptchaStore,
): CaptchaProvider {
  switch (options.provider) {
    case 'turnstile':
      return new TurnstileProvider(options, http);
    case 'recaptcha':
      return new RecaptchaProvider(options, http);
    case 'hcaptcha':
      return new HcaptchaProvider(options, http);
    case 'altcha':
      return new AltchaProvider(options, store);
    case 'recaptcha-enterprise':
      return new RecaptchaEnterpriseProvider(options, http);
    case 'friendly-captcha':
      return new FriendlyCaptchaProvider(options, http);
    case 'captchala':
      return new CaptchalaProvider(options, http);
    default: {
      // Options are validated first; this only guards against a name added without a case.
      const unknown: never = options.provider;
      throw new Error(`provider "${String(unknown)}" has no implementation`);
    }
  }
}

/**
 * The fallback provider of `failureMode: 'fallback'`, built with its own keys and URL.
 *
 * @internal
 */
export function createFallbackProvider(
  options: ResolvedCaptchaOptions,
  http: ProviderHttpClient,
  store: CaptchaStore,
): CaptchaProvider | undefined {
  const fallback = options.fallback;
  if (!fallback || !('provider' in fallback)) return undefined;
  const { provider, siteKey, secretKey, verifyUrl } = fallback;
  return createCaptchaProvider(
    { ...options, provider, siteKey, secretKey, verifyUrl },
    http,
    store,
  );
}

/**
 * The step-up provider of `stepUp`, built with its own keys and URL (`recaptcha-v2`: a reCAPTCHA
 * verifier of that name).
 *
 * @internal
 */
export function createStepUpProvider(
  options: ResolvedCaptchaOptions,
  http: ProviderHttpClient,
  store: CaptchaStore,
): CaptchaProvider | undefined {
  if (!options.stepUp) return undefined;
  const { provider, siteKey, secretKey, verifyUrl } = options.stepUp;
  if (provider === RECAPTCHA_V2_STEP_UP) {
    // A second reCAPTCHA beside the primary, under its own name: its keys, claims and circuit;
    // the primary reCAPTCHA's verify URL (a proxy, a region) unless it has one of its own.
    const url = verifyUrl ?? (options.provider === 'recaptcha' ? options.verifyUrl : undefined);
    const v2 = { ...options, provider: 'recaptcha' as const, siteKey, secretKey, verifyUrl: url };
    return new RecaptchaProvider(v2, http, RECAPTCHA_V2_STEP_UP);
  }
  return createCaptchaProvider(
    { ...options, provider, siteKey, secretKey, verifyUrl },
    http,
    store,
  );
}

/**
 * The extra providers of `providers` and the step-up provider of `stepUp`, each with its own keys
 * and URL.
 *
 * @internal
 */
export function createExtraProviders(
  options: ResolvedCaptchaOptions,
  http: ProviderHttpClient,
  store: CaptchaStore,
): CaptchaProvider[] {
  const extra = (options.providers ?? []).map(({ provider, siteKey, secretKey, verifyUrl }) =>
    createCaptchaProvider({ ...options, provider, siteKey, secretKey, verifyUrl }, http, store),
  );
  const stepUp = createStepUpProvider(options, http, store);
  return stepUp ? [...extra, stepUp] : extra;
}
