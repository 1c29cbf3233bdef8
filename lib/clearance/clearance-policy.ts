import type { ExecutionContext } from '@nestjs/common';
import type { CaptchaContext } from '../conditions/captcha-condition';
import { clientNetworkOf } from '../conditions/client-network';
import type { RequireCaptchaOptions } from '../decorators/captcha-requirement';
import type { CaptchaMetrics } from '../observability/captcha-metrics';
import { CaptchaStoreError } from '../stores/captcha-store.error';
import type { CaptchaClearanceOutcome, ResolvedCaptchaClearance } from './clearance-outcome';
import { clearanceRevokedKey, clearanceUseKey, remainingMs } from './clearance-store-keys';
import { ClearanceTokens } from './clearance-token';
import {
  CLEARANCE_HEADER,
  appendResponseHeader,
  clearanceCookie,
  clearanceOf,
} from './clearance-transport';

/** The parts of a GraphQL context a response is found in (Apollo: `res`; Mercurius: `reply`). */
interface GraphqlResponseContext {
  res?: unknown;
  reply?: unknown;
  req?: { res?: unknown };
}

/** The store answered neither way (policy open): the clearance is ignored, nothing counted. */
const IGNORED = 'ignored';

/**
 * Clearance (README: Clearance): after a verified challenge the answer carries a signed clearance
 * (cookie and header); a later request carrying it is let through, on a route whose condition
 * fired, while it is valid: signed by our key, not expired, covering the route's action, from the
 * client it was issued to (network and User-Agent), not revoked, and with uses left (counted
 * atomically in the store, so across instances). Only over HTTP and GraphQL over HTTP; a route
 * with `fresh: true` never honours one. A refused clearance is counted and then ignored: the
 * request needs a token as if it carried none.
 *
 * @internal
 */
export class ClearancePolicy {
  private readonly tokens: ClearanceTokens;
  /** Requests a clearance was issued on (GraphQL: one per request, not one per field). */
  private readonly issuedOn = new WeakSet<object>();

  constructor(
    private readonly options: ResolvedCaptchaClearance,
    private readonly metrics: CaptchaMetrics,
    /** The store-failure policy: throws the 503 under `closed`, else logs and returns. */
    private readonly onStoreFailure: (error: CaptchaStoreError) => void,
  ) {
    this.tokens = new ClearanceTokens(options.key);
  }

  /**
   * Whether the request carries a clearance that lets it through now; counts the outcome. A
   * route without an action neither honours nor issues clearances.
   */
  async honour(
    context: ExecutionContext,
    request: unknown,
    requirement: RequireCaptchaOptions,
    captchaContext: CaptchaContext,
  ): Promise<boolean> {
    const action = requirement.action;
    if (requirement.fresh === true || action === undefined || !overHttp(context)) return false;
    const value = clearanceOf(request);
    if (value === undefined) return false;
    const outcome = await this.judge(value, action, request, captchaContext);
    if (outcome === IGNORED) return false;
    this.metrics.clearance(action, outcome);
    return outcome === 'used';
  }

  /**
   * Issues a clearance after a verified challenge, when the route's action is in scope: the
   * cookie and the header on the response. Nothing for a client whose network is unknown (no
   * binding) or a response that cannot be found.
   */
  issue(
    context: ExecutionContext,
    request: unknown,
    requirement: RequireCaptchaOptions,
    captchaContext: CaptchaContext,
  ): void {
    const action = requirement.action;
    const { actions, ttlSeconds, uses } = this.options;
    if (action === undefined || (actions !== undefined && !actions.includes(action))) return;
    if (!overHttp(context)) return;
    const network = clientNetworkOf(captchaContext);
    if (network === undefined) return;
    if (typeof request === 'object' && request !== null) {
      if (this.issuedOn.has(request)) return;
      this.issuedOn.add(request);
    }
    const response = responseOf(context);
    const value = this.tokens.sign({
      id: ClearanceTokens.newId(),
      scope: actions ?? [action],
      expiresAt: Math.floor(Date.now() / 1000) + ttlSeconds,
      uses,
      network: this.tokens.bind('net', network),
      userAgent: this.tokens.bind('ua', userAgentOf(request)),
    });
    if (!appendResponseHeader(response, 'set-cookie', clearanceCookie(request, value, ttlSeconds)))
      return;
    appendResponseHeader(response, CLEARANCE_HEADER, value);
    this.metrics.clearance(action, 'issued');
  }

  private async judge(
    value: string,
    action: string,
    request: unknown,
    captchaContext: CaptchaContext,
  ): Promise<CaptchaClearanceOutcome | typeof IGNORED> {
    const claims = this.tokens.open(value);
    if (claims === undefined) return 'forged';
    const now = Date.now();
    if (claims.expiresAt * 1000 <= now) return 'expired';
    if (!claims.scope.includes(action)) return 'wrong_scope';
    const network = clientNetworkOf(captchaContext);
    if (
      network === undefined ||
      this.tokens.bind('net', network) !== claims.network ||
      this.tokens.bind('ua', userAgentOf(request)) !== claims.userAgent
    ) {
      return 'wrong_client';
    }
    const { store } = captchaContext;
    try {
      if ((await store.count(clearanceRevokedKey(claims.id))) > 0) return 'revoked';
      const used = await store.increment(
        clearanceUseKey(claims.id),
        remainingMs(claims.expiresAt, now),
      );
      return used > claims.uses ? 'exhausted' : 'used';
    } catch (error) {
      if (!(error instanceof CaptchaStoreError)) throw error;
      // Closed: the 503 is thrown here. Open: no use can be counted, so none is granted.
      this.onStoreFailure(error);
      return IGNORED;
    }
  }
}

/** HTTP, or a GraphQL query or mutation (over HTTP); never WebSockets, RPC or a subscription. */
function overHttp(context: ExecutionContext): boolean {
  const type = context.getType<string>();
  if (type === 'http') return true;
  if (type !== 'graphql') return false;
  const info = context.getArgByIndex<{ operation?: { operation?: unknown } } | undefined>(3);
  return info?.operation?.operation !== 'subscription';
}

function userAgentOf(request: unknown): string {
  const ua = (request as { headers?: Record<string, unknown> } | undefined)?.headers?.[
    'user-agent'
  ];
  return typeof ua === 'string' ? ua : '';
}

/** The response of an HTTP handler, or of a GraphQL operation's HTTP request. */
function responseOf(context: ExecutionContext): unknown {
  if (context.getType<string>() === 'http') return context.getArgByIndex(1);
  const gql = context.getArgByIndex<GraphqlResponseContext | undefined>(2);
  return gql?.res ?? gql?.reply ?? gql?.req?.res;
}
