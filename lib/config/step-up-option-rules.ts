import { CAPTCHA_STEP_UP_PROVIDERS } from '../contracts/captcha-error-body';
import { RECAPTCHA_V2_STEP_UP } from '../contracts/captcha-provider-name';
import { maskUrlSecrets, secretKeyRule, siteKeyRule, verifyUrlRule } from './captcha-config-rules';
import { isPlainObject } from './config-problem';
import type { RuleContext } from './rule-context';
import { STEP_UP_PROVIDER_ACCEPTED, isStepUpProvider } from './step-up-provider-rule';

const STEP_UP_ACCEPTED = `{ provider, siteKey?, secretKey?, verifyUrl? } with provider ${STEP_UP_PROVIDER_ACCEPTED}; siteKey and secretKey unless it is altcha`;

/**
 * Checks `stepUp`, the default step-up provider: an interactive one, registered nowhere else (not
 * the primary provider, whose low score it answers; not the fallback or a `providers` entry, which
 * a route names with `@RequireCaptcha({ stepUp })` instead), with its keys unless it is ALTCHA.
 * `recaptcha-v2` (the v2 checkbox beside a v3 primary) needs keys other than the primary's.
 * @internal
 */
export function checkStepUp(value: unknown, ctx: RuleContext): void {
  if (value === undefined) return;
  const { source } = ctx;
  if (!isPlainObject(value))
    return ctx.report('stepUp', value, 'is not an object', STEP_UP_ACCEPTED);
  const { provider, siteKey, secretKey, verifyUrl } = value;
  const before = ctx.problems.length;
  ctx.check('stepUp.siteKey', siteKey, siteKeyRule);
  ctx.checkSecret('stepUp.secretKey', secretKey, secretKeyRule);
  const shownUrl = typeof verifyUrl === 'string' ? maskUrlSecrets(verifyUrl) : verifyUrl;
  ctx.check('stepUp.verifyUrl', verifyUrl, verifyUrlRule, shownUrl);
  if (provider === undefined) {
    // A bad key already names the group; the missing provider is the next thing to fix.
    if (ctx.problems.length > before) return;
    const set = (['siteKey', 'secretKey', 'verifyUrl'] as const)
      .filter((key) => value[key] !== undefined)
      .map((key) => source.name(`stepUp.${key}`));
    const why = set.length > 0 ? set.join(' and ') : source.name('stepUp');
    return ctx.missing(
      'stepUp.provider',
      `${why} ${set.length > 1 ? 'are' : 'is'} set`,
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
  // recaptcha-v2 is offered where it is the way out: beside a reCAPTCHA (v3) provider.
  const othersThan = (taken: unknown) =>
    `an interactive provider other than ${source.name('provider')}: ${CAPTCHA_STEP_UP_PROVIDERS.filter(
      (name) =>
        name !== ctx.provider &&
        name !== taken &&
        (name !== RECAPTCHA_V2_STEP_UP || ctx.provider === 'recaptcha'),
    ).join(', ')}`;
  const others = othersThan(undefined);
  if (provider === ctx.provider) {
    const byDefault = ctx.given.provider === undefined ? ', default altcha' : '';
    // reCAPTCHA v3 → v2 checkbox: the keys differ, so the v2 verifier has a name of its own.
    const checkbox =
      provider === 'recaptcha'
        ? ` (${RECAPTCHA_V2_STEP_UP}: the v2 checkbox with its own keys)`
        : '';
    return ctx.report(
      'stepUp.provider',
      provider,
      `is the same as the provider (${source.name('provider')}${byDefault}): a low score would step up to the same check`,
      `${others}${checkbox}`,
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
      `${othersThan(provider)}; or name the registered one on the route, @RequireCaptcha({ stepUp: '${provider}' })`,
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
  if (provider === RECAPTCHA_V2_STEP_UP && ctx.provider === 'recaptcha') {
    // The primary's (v3) keys cannot render or verify a checkbox: the step-up needs its own.
    for (const key of ['siteKey', 'secretKey'] as const) {
      if (value[key] === undefined || value[key] !== ctx.given[key]) continue;
      ctx.report(
        `stepUp.${key}`,
        value[key],
        `is the same as ${source.name(key)}: the ${RECAPTCHA_V2_STEP_UP} step-up needs its own v2 checkbox keys`,
        `the ${key === 'siteKey' ? 'site' : 'secret'} key of a reCAPTCHA v2 checkbox key pair`,
        key === 'secretKey',
      );
    }
  }
  for (const key of ['siteKey', 'secretKey'] as const) {
    if (value[key] !== undefined) continue;
    ctx.missing(
      `stepUp.${key}`,
      `step-up provider "${provider}" requires it`,
      provider === RECAPTCHA_V2_STEP_UP
        ? `the ${key === 'siteKey' ? 'site' : 'secret'} key of a reCAPTCHA v2 checkbox key pair`
        : `the ${key === 'siteKey' ? 'site' : 'secret'} key issued by ${provider}`,
    );
  }
}
