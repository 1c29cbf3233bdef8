/**
 * The instruments, whatever backs them. Every label value comes from code (provider names, reason
 * codes, action and condition names), never from request data, so cardinality stays bounded.
 * @internal
 */
export interface CaptchaMetricsRecorder {
  /**
   * One verification: `outcome` is `success` or a reason code. `seconds` is left out for a
   * request that carried no token (counted, but no duration).
   */
  verification(provider: string, action: string, outcome: string, seconds?: number): void;
  /** A condition demanded a challenge. */
  challenge(action: string, condition: string): void;
  /** A provider could not answer (`kind`: timeout, network, http_5xx, …). */
  providerFailure(provider: string, kind: string): void;
  /** A provider's circuit opened (`true`) or closed (`false`). */
  circuitOpen(provider: string, open: boolean): void;
  /**
   * The store lost or refused an entry for lack of room: `counter` (a live counter evicted by
   * the memory store's size bound) or `claim_refused` (a single-use claim refused because the
   * claim budget is full; the request was answered 503).
   */
  storeEviction(kind: CaptchaStoreEvictionKind): void;
  /**
   * A store call failed (Redis unreachable, a custom store's error); the store failure policy
   * decided the answer. Refused claims are evictions (`claim_refused`), not failures.
   */
  storeFailure(operation: CaptchaStoreOperation): void;
  /** An ALTCHA challenge was issued with this counter (its proof-of-work cost). */
  powCost(action: string, counter: number): void;
  /**
   * A clearance was issued, used, or refused (`outcome`: `expired`, `wrong_scope`,
   * `wrong_client`, `revoked`, `forged`, `exhausted`). `action` is the route's, from code.
   */
  clearance(action: string, outcome: string): void;
}

/**
 * The `kind` label of `captcha_store_evictions_total`.
 * @internal
 */
export type CaptchaStoreEvictionKind = 'counter' | 'claim_refused';

/**
 * The `operation` label of `captcha_store_failures_total`: the `CaptchaStore` method that failed.
 * @internal
 */
export type CaptchaStoreOperation =
  'increment' | 'decrement' | 'count' | 'reset' | 'claim' | 'release';
