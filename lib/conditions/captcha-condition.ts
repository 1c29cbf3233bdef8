import type { ExecutionContext } from '@nestjs/common';

/** What a condition sees of the request being judged. */
export interface CaptchaContext {
  /** Nest's execution context (handler, class, arguments). */
  executionContext: ExecutionContext;
  /** The underlying request (Express or Fastify). */
  request: unknown;
  /** The client IP, resolved with the module's `trustProxy` setting. */
  clientIp: string | undefined;
  /** The `action` of the route's `@RequireCaptcha`. */
  action: string | undefined;
}

/**
 * A risk condition: `true` when the request must prove a human is behind it. Any function of this
 * shape works as `when`; built-ins are plain factories such as {@link always}.
 */
export type CaptchaCondition = (context: CaptchaContext) => boolean | Promise<boolean>;
