import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { CaptchaContext } from '../conditions/captcha-condition';
import { ClientIpResolver } from '../http/client-ip-resolver';
import { CaptchaStore } from '../stores/captcha-store.interface';

/** Builds the {@link CaptchaContext} conditions are evaluated with. */
@Injectable()
export class CaptchaContextFactory {
  constructor(
    private readonly clientIpResolver: ClientIpResolver,
    @Inject(CaptchaStore) private readonly store: CaptchaStore,
  ) {}

  create(
    executionContext: ExecutionContext,
    request: unknown,
    action: string | undefined,
  ): CaptchaContext {
    const { ip, source } = this.clientIpResolver.resolve(request);
    return {
      executionContext,
      request,
      clientIp: ip,
      clientIpSource: source,
      action,
      store: this.store,
    };
  }
}
