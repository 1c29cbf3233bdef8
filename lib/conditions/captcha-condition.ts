import type { ExecutionContext } from '@nestjs/common';
import type { ClientIp } from '../http/client-ip-resolver';
import type { CaptchaStore } from '../stores/captcha-store.interface';

/**
 * What a condition sees of the request being judged.
 *
 * @public
 */
export interface CaptchaContext {
  /** Nest's execution context (handler, class, arguments). */
  executionContext: ExecutionContext;
  /**
   * The underlying request (Express or Fastify; for a resolver, the HTTP request its GraphQL
   * context holds; for a gateway, the upgrade request that opened the client's connection when it
   * is known, else the client socket; for a message handler, the message's data, which names no
   * client: its `clientIp` is always `undefined`).
   */
  request: unknown;
  /**
   * The handler's input beyond the HTTP request: a GraphQL resolver's arguments, a gateway's or
   * message handler's data; `undefined` for controllers. Subjects `'args.<path>'` (GraphQL) and
   * `'data.<path>'` (messages) read it. Optional so that contexts built by hand still type-check.
   */
  input?: unknown;
  /** The client IP, resolved with the module's `trustProxy` setting (`undefined` if unknown). */
  clientIp: string | undefined;
  /** Where the client IP was read from. */
  clientIpSource: ClientIp['source'];
  /**
   * What per-IP counters (`per: 'ip'`) group by: the client IP for IPv4, its network under the
   * module's `ipv6Prefix` for IPv6 (`2001:db8:1:2::/64`), so one subscriber's rotating addresses
   * count as one client. `undefined` when the IP is unknown. Optional so that contexts built by
   * hand (in tests) still type-check; per-IP counters then use `clientIp`.
   */
  clientNetwork?: string;
  /** The request's `x-request-id` (when it is a sane id) or a generated one, for the logs. */
  requestId: string;
  /** The `action` of the route's `@RequireCaptcha`. */
  action: string | undefined;
  /** The module's store, for conditions that count. */
  store: CaptchaStore;
  /**
   * `true` once the guard has verified a CAPTCHA token on this request (a solved challenge; a
   * degraded fail-open pass does not count). Set after the condition ran, for outcome hooks:
   * `failedAttempts` clears its count on a success only when this is set (`resetOn: 'verified'`).
   */
  verified: boolean;
}

/**
 * A risk condition: `true` when the request must prove a human is behind it. Any function of this
 * shape works as `when`; the built-ins are plain factories ({@link always}, `failedAttempts`,
 * `requestRate`, `ipIn`, …) that also carry a stable `conditionName`, used in logs and metrics.
 *
 * @public
 */
export interface CaptchaCondition {
  (context: CaptchaContext): boolean | Promise<boolean>;
  /** Stable name for logs and the `condition` metric label; custom functions read as `custom`. */
  readonly conditionName?: string;
}
