import type { ExecutionContext, Logger } from '@nestjs/common';
import type { CaptchaContext } from '../conditions/captcha-condition';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import { CaptchaUnavailableException } from '../errors/captcha.exception';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import { wsIdentityGap } from '../transports/ws-client';

/**
 * A gateway whose condition reads what its connection cannot tell (headers without the upgrade
 * request, the client IP behind a trusted proxy) is refused as `captcha_unavailable`, logged
 * once per handler: counting every client as one would lock them all out, or let them share
 * one allowance.
 *
 * @internal
 */
export class WsIdentityCheck {
  /** Gateway handlers whose missing client identity was logged (once each). */
  private readonly logged = new WeakSet<object>();

  constructor(private readonly logger: Logger) {}

  /** Throws when the gateway cannot tell its client; `provider` names the challenge's widget. */
  check(
    context: ExecutionContext,
    request: unknown,
    captchaContext: CaptchaContext,
    requirement: RequireCaptchaOptions,
    provider: () => CaptchaProviderName,
  ): void {
    const gap = wsIdentityGap(request, captchaContext.clientIp, requirement.when);
    if (gap === undefined) return;
    const handler = context.getHandler();
    if (!this.logged.has(handler)) {
      this.logged.add(handler);
      this.logger.error({
        event: 'captcha.client_unknown',
        transport: 'ws',
        route: `${context.getClass().name}.${handler.name}`,
        cause: gap,
        fix: "attach the gateway to the app's HTTP server (no port of its own), or use per: 'data.<field>'",
      });
    }
    throw new CaptchaUnavailableException({ provider: provider(), fallback: null });
  }
}
