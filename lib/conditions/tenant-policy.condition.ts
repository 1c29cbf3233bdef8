import type { CaptchaCondition, CaptchaContext } from './captcha-condition';
import { CONDITION_SOURCES, defineCondition } from './condition-internals';
import { compileSubject, subjectSources, type CaptchaSubject } from './subject-key';

/**
 * Options of {@link tenantPolicy}.
 *
 * @public
 */
export interface TenantPolicyOptions {
  /** Where the tenant id is read from. Default `'header.x-tenant-id'`. */
  tenant?: CaptchaSubject;
}

/**
 * Challenge as each tenant's policy says, e.g. a customer who demands a CAPTCHA on every login.
 * `policy` receives the tenant id (`''` when the request names none) and the context.
 *
 * @example
 * ```ts
 * when: tenantPolicy(async (tenant) => (await tenants.settings(tenant)).captchaOnLogin)
 * ```
 *
 * @public
 */
export function tenantPolicy(
  policy: (tenant: string, context: CaptchaContext) => boolean | Promise<boolean>,
  options: TenantPolicyOptions = {},
): CaptchaCondition {
  const tenant = options.tenant ?? 'header.x-tenant-id';
  const tenantOf = compileSubject(tenant, { lowerCase: false });
  return defineCondition(
    'tenantPolicy',
    async (context) => policy(await tenantOf(context), context),
    // The policy function sees the whole context too.
    { [CONDITION_SOURCES]: [...subjectSources(tenant), 'custom'] },
  );
}
