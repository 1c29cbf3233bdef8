/**
 * A shared contract: the names of the metrics (the same on prom-client and OpenTelemetry) and the
 * duration histogram's buckets. A leaf module: it imports nothing.
 */

/**
 * The metric names, the one place they are spelled. Dashboards and alerts rely on them.
 * @internal Documented by name in the README's Observability section.
 */
export const CAPTCHA_METRIC_NAMES = Object.freeze({
  /** Counter `{provider, action, outcome}`; `outcome` is `success` or a reason code. */
  verifications: 'captcha_verifications_total',
  /** Histogram `{provider, outcome}`, seconds. */
  verificationDuration: 'captcha_verification_duration_seconds',
  /** Counter `{action, condition}`. */
  challenges: 'captcha_challenges_total',
  /** Counter `{provider, kind}`. */
  providerFailures: 'captcha_provider_failures_total',
  /** Gauge `{provider}`: 1 while the circuit is open. */
  circuitOpen: 'captcha_circuit_open',
  /** Counter `{kind}`: `counter` or `claim_refused`. */
  storeEvictions: 'captcha_store_evictions_total',
  /** Counter `{operation}`: store calls that failed (Redis down, a custom store's error). */
  storeFailures: 'captcha_store_failures_total',
  /** Histogram `{action}`: the ALTCHA counter a challenge was issued with (key derivations). */
  powCost: 'captcha_pow_cost',
  /** Counter `{action, outcome}`: clearances issued, used, or refused (and why). */
  clearances: 'captcha_clearances_total',
} as const);

/**
 * `captcha_verification_duration_seconds` buckets, in seconds: a local ALTCHA check (~5 ms) up to
 * a provider at the 3 s timeout and beyond.
 * @internal
 */
export const VERIFICATION_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * `captcha_pow_cost` buckets: ALTCHA counters, from a light challenge to a capped adaptive one.
 * @internal
 */
export const POW_COST_BUCKETS = [
  1_000, 10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000,
  50_000_000,
];
