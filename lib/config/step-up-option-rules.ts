import {
  CAPTCHA_STEP_UP_PROVIDERS,
  type CaptchaStepUpProviderName,
} from '../contracts/captcha-error-body';
import { maskUrlSecrets, secretKeyRule, siteKeyRule, verifyUrlRule } from './captcha-config-rules';
import { isPlainObject } from './config-problem';
import type { RuleContext } from './rule-context';

/** What `stepUp.provider` (`CAPTCHA_STEP_UP_PROVIDER`) accepts. @internal */
export const STEP_UP_PROVIDER_ACCEPTED = `an interactive provider: ${CAPTCHA_STEP_UP_PROVIDERS.join(', ')} (recaptcha with v2 checkbox keys)`;

const STEP_UP_ACCEPTED = `{ provider, siteKey?, secretKey?, verifyUrl? } with provider ${STEP_UP_PROVIDER_ACCEPTED}; siteKey and secretKey unless it is altcha`;

/** Whether `value` names a provider a route may step up to. @internal */
export function isStepUpProvider(value: unknown): value is CaptchaStepUpProviderName {
  return (CAPTCHA_STEP_UP_PROVIDERS as readonly unknown[]).includes(value);
}

/**
 * Checks `stepUp`, the default step-up provider: an interactive one, registered nowhere else (not
 * the primary provider, whose low score it answers; not the fallback or a `providers` entry, which
 * a route names with `@RequireCaptcha({ stepUp })` instead), with its keys unless it is ALTCHA.
 * @internal
 */
export function checkStepUp(value: unknown, ctx: RuleContext): void {
  if (value === undefined) return;
  const { source } = ctx;
  if (!isPlainObject(value))
    return ctx.report('stepUp', value, 'is not an object', STEP_UP_ACCEPTED);
  const { provider, siteKey, secretKey, verifyUrl } = value;
  ctx.check('stepUp.siteKey', siteKey, siteKeyRule);
  ctx.checkSecret('stepUp.secretKey', secretKey, secretKeyRule);
  const shownUrl = typeof verifyUrl === 'string' ? maskUrlSecrets(verifyUrl) : verifyUrl;
  ctx.check('stepUp.verifyUrl', verifyUrl, verifyUrlRule, shownUrl);
  if (provider === undefined) {
    return ctx.missing(
      'stepUp.provider',
      `${source.name('stepUp')} is set`,
      STEP_UP_PROVIDER_ACCEPTED,
    );
  }
  if (!isStepUpProvider(provider)) {
    const why =
      typeof provider === 'string'
        ? 'is not an interactive provider (a step-up must show the user a widget)'
        : 'is not a string';
    return ctx.report('stepUp.provider', provider, why, STEP_UP_PROVIDER_ACCEPTED);
  }
  const others = `an interactive provider other than ${source.name('provider')}: ${CAPTCHA_STEP_UP_PROVIDERS.filter((name) => name !== ctx.provider).join(', ')}`;
  if (provider === ctx.provider) {
    const byDefault = ctx.given.provider === undefined ? ', default altcha' : '';
    return ctx.report(
      'stepUp.provider',
      provider,
      `is the same as the provider (${source.name('provider')}${byDefault}): a low score would step up to the same check`,
      others,
    );
  }
  const registered =
    provider === ctx.fallbackProvider
      ? source.name('fallback.provider')
      : Array.isArray(ctx.given.providers) &&
          ctx.given.providers.some((entry) => isPlainObject(entry) && entry.provider === provider)
        ? 'an entry of options.providers'
        : undefined;
  if (registered) {
    return ctx.report(
      'stepUp.provider',
      provider,
      `is registered already as ${registered}`,
      `${others}; or name the registered one on the route, @RequireCaptcha({ stepUp: '${provider}' })`,
    );
  }
  if (provider === 'altcha') {
    for (const key of ['siteKey', 'secretKey'] as const) {
      if (value[key] === undefined) continue;
      ctx.report(
        `stepUp.${key}`,
        value[key],
        'is set, but step-up provider "altcha" uses no site or secret key',
        `no value with ${source.name('stepUp.provider')}=altcha`,
        key === 'secretKey',
      );
    }
    return;
  }
  for (const key of ['siteKey', 'secretKey'] as const) {
    if (value[key] !== undefined) continue;
    ctx.missing(
      `stepUp.${key}`,
      `step-up provider "${provider}" requires it`,
      `the ${key === 'siteKey' ? 'site' : 'secret'} key issued by ${provider}`,
    );
  }
}
