// Over 300 lines: one idea, the options a user writes; two thirds of it is their TSDoc (the reference).
import type { ExecutionContext } from '@nestjs/common';
import type { ClientIpHeaderName } from '../http/client-ip-resolver';
import type { CaptchaProviderName, CaptchaVerifierName } from '../contracts/captcha-provider-name';
import type { CaptchaStepUpProviderName } from '../contracts/captcha-error-body';
import type { CaptchaStore } from '../stores/captcha-store.interface';

/** A secret, or a function that resolves it on each use (so keys can rotate without a restart). @public */
export type CaptchaSecret = string | (() => string | Promise<string>);

/** Pulls the raw token out of a request; return `undefined` when there is none. @public */
export type CaptchaTokenExtractor = (request: unknown) => unknown;

/** Options of the self-hosted ALTCHA provider. @public */
export interface AltchaOptions {
  /** HMAC key signing the challenges (`CAPTCHA_ALTCHA_HMAC_KEY`). Required in production. */
  hmacKey?: CaptchaSecret;
  /** Key-derivation algorithm (altcha-lib 2). Default `'SHA-256'`. */
  algorithm?:
    'SHA-256' | 'SHA-384' | 'SHA-512' | 'PBKDF2/SHA-256' | 'PBKDF2/SHA-384' | 'PBKDF2/SHA-512';
  /** Iterations per attempt. Default `1` for SHA, `1000` for PBKDF2. */
  cost?: number;
  /**
   * Range the secret counter is drawn from: the work a client does. Default `[10_000, 60_000]`;
   * with `adaptive` on, `[1_000, 8_000]` (level 0, which the levels multiply).
   */
  counter?: [min: number, max: number];
  /**
   * How long a challenge may be solved and submitted, in seconds. Default `300`: a short life
   * limits how many solutions can be stockpiled, and how long their claims take room.
   */
  expiresInSeconds?: number;
  /** Path serving `GET` challenges, or `false` to serve none. Default `'/captcha/challenge'`. */
  challengePath?: string | false;
  /**
   * Adaptive proof of work: a client's failures for the action (the `failedAttempts` counter)
   * multiply the `counter` range of the challenges it fetches, and a payload is refused
   * (`invalid`, code `difficulty-too-low`) when its signed level is below what the client's
   * failures require when it is spent. `true` for the defaults. Default: off.
   */
  adaptive?: boolean | AltchaAdaptiveOptions;
}

/** Options of adaptive ALTCHA proof of work (`altcha.adaptive`). @public */
export interface AltchaAdaptiveOptions {
  /** The work multiplies by this per counted failure (1 < f ≤ 16). Default `2`. */
  perFailure?: number;
  /** The cap: the work never exceeds the base `counter` range times this. Default `64`. */
  maxFactor?: number;
  /** The failure counter read (per client IP). Default: the challenge's action, as `failedAttempts` names it. */
  counter?: string;
  /**
   * Challenge requests count too: past `free` challenges fetched by one client (IP) within
   * `window`, each one adds a level, like a failure. Default: not counted.
   */
  challenges?: { free: number; window: number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` };
}

/**
 * How one CaptchaLa failure code (`data.error` or `msg`) is read: a verdict on the token, our own
 * configuration refused (`'misconfigured'`, an outage), or a provider-side failure (`'unavailable'`).
 * @public
 */
export type CaptchalaErrorMeaning =
  'malformed' | 'invalid' | 'expired' | 'duplicate' | 'misconfigured' | 'unavailable';

/**
 * Options of the CaptchaLa provider. CaptchaLa's public material leaves several things unknown
 * (token lifetime and length, error codes, the issue call's body); each is a setting here.
 * @public
 */
export interface CaptchalaOptions {
  /**
   * Accept `dg_` tokens that CaptchaLa reports as `degraded` (e.g. `quota_exhausted`) on routes
   * whose `failureMode` is `'open'` (or `verify(…, { allowDegraded: true })`), once they pass the
   * action, hostname, score and age checks: they pass with `degraded: true`. Elsewhere they are
   * answered like an outage (503 `captcha_unavailable`). Default `false`: such a token is refused
   * on every route (`CaptchaUnavailableError`, kind `degraded`: 503, never failed open, never
   * counted against the circuit, since the client picks the prefix).
   */
  acceptDegraded?: boolean;
  /**
   * Accept `client_` tokens, which CaptchaLa cannot verify (its Go SDK passes them with a warning),
   * on routes whose `failureMode` is `'open'`: they pass unverified with `degraded: true`, without a
   * provider call; elsewhere they are answered like an outage (503). Default `false`: `invalid`.
   */
  acceptClientTokens?: boolean;
  /**
   * Where `offline_` tokens are validated, behind a circuit breaker of its own. Default
   * `https://fallbackapiv1.captchala.com/api/validate`.
   */
  backupUrl?: string;
  /**
   * Where server tokens are issued. Default: `verifyUrl` with `/v1/validate` replaced by
   * `/v1/server/challenge/issue` (`https://apiv1.captcha.la/v1/server/challenge/issue`).
   */
  issueUrl?: string;
  /**
   * Body of the issue call: `'json'` (default; CaptchaLa's Go SDK: `{action, ttl, max_uses,
   * binding_ip, bind_uid}`) or `'form'` (the API docs: `action=…&ttl=…&max_uses=…&bind_ip=…`).
   * The two sources disagree and neither is confirmed.
   */
  issueEncoding?: 'form' | 'json';
  /**
   * Path serving `GET ?action=…` with a fresh server token (`{ serverToken, expiresIn, issuedAt }`),
   * or `false` (default) to serve none. Each call spends CaptchaLa quota: rate-limit it.
   */
  challengePath?: string | false;
  /** How long a pass token stays redeemable (not published); our single-use claim lasts this long. Default `600`. */
  tokenLifetimeSeconds?: number;
  /** Longest token sent to CaptchaLa (not published). Default `4096`. */
  maxTokenLength?: number;
  /**
   * Extra or different readings of failure codes, over the built-in ones (`token_expired`,
   * `challenge_expired` → `expired`; `token_already_used` → `duplicate`; `token_not_found`,
   * `challenge_not_found`, `invalid_answer` → `invalid`). Unknown codes read as `invalid`.
   */
  errorCodes?: Record<string, CaptchalaErrorMeaning>;
}

/**
 * The slice of an ioredis `Redis` or `Cluster` client the Redis store uses, so this package's
 * types do not require ioredis to be installed.
 * @public
 */
export interface CaptchaRedisClient {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  set(key: string, value: string, px: 'PX', ttl: number, nx: 'NX'): Promise<'OK' | null>;
  get(key: string): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  quit(): Promise<unknown>;
}

/** Options of the Redis store. @public */
export interface CaptchaRedisOptions {
  /** `redis://` or `rediss://` URL (`CAPTCHA_REDIS_URL`); the store creates and closes the client. */
  url?: string;
  /** An ioredis `Redis` or `Cluster` you own; the store never closes it. */
  client?: CaptchaRedisClient;
  /** Prefix of every key. Default `'captcha:'`. */
  keyPrefix?: string;
  /** Longest a store command may take before it counts as a failure. Default `100` ms. */
  commandTimeoutMs?: number;
}

/**
 * How the guard behaves when the provider cannot answer: `closed` answers 503
 * `captcha_unavailable`; `open` lets the request through, marked degraded; `fallback` switches to
 * the `fallback` provider or method.
 * @public
 */
export type CaptchaFailureMode = 'closed' | 'open' | 'fallback';

/** Where `failureMode: 'fallback'` sends clients while the provider is down. @public */
export type CaptchaFallback =
  | {
      /** A second provider (ALTCHA needs no network); its own keys and URL. */
      provider: CaptchaProviderName;
      siteKey?: string;
      secretKey?: CaptchaSecret;
      verifyUrl?: string;
    }
  | {
      /** A method of your app, e.g. `'email_otp'`, named in the 503's `details.fallback`. */
      method: string;
    };

/**
 * The interactive provider score-based routes step up to after a low score (README: Step-up):
 * `CAPTCHA_STEP_UP_PROVIDER`, `CAPTCHA_STEP_UP_SITE_KEY`, `CAPTCHA_STEP_UP_SECRET_KEY`.
 * @public
 */
export interface CaptchaStepUpOptions {
  /**
   * `recaptcha` (v2 checkbox keys), `hcaptcha`, `turnstile` (managed), `altcha`, or `recaptcha-v2`:
   * the v2 checkbox with these keys beside a `recaptcha` (v3) provider, verified at the
   * provider's `verifyUrl` unless this one sets its own.
   */
  provider: CaptchaStepUpProviderName;
  /** Its site key (not for `altcha`). */
  siteKey?: string;
  /** Its secret key (not for `altcha`). Never logged. */
  secretKey?: CaptchaSecret;
  /** Overrides its verify URL. */
  verifyUrl?: string;
}

/**
 * Clearance (README: Clearance): after a verified challenge the user holds a signed clearance
 * (cookie `captcha_clearance`, header `x-captcha-clearance`) that lets later requests through,
 * for `ttlSeconds` and at most `uses` of them, on the actions in scope, from the same client.
 * Environment: `CAPTCHA_CLEARANCE_TTL`, `CAPTCHA_CLEARANCE_USES`, `CAPTCHA_CLEARANCE_KEY`,
 * `CAPTCHA_CLEARANCE_ACTIONS`.
 *
 * @example
 * ```ts
 * clearance: { ttlSeconds: 600, uses: 5, key: process.env.CLEARANCE_KEY, actions: ['login', 'signup'] }
 * ```
 * @public
 */
export interface CaptchaClearanceOptions {
  /** How long a clearance lives, in seconds (1–86400; `CAPTCHA_CLEARANCE_TTL`). */
  ttlSeconds: number;
  /** How many requests one clearance lets through (1–1000; `CAPTCHA_CLEARANCE_USES`). Default `5`. */
  uses?: number;
  /**
   * HMAC key signing clearances, at least 32 random characters (`CAPTCHA_CLEARANCE_KEY`).
   * Required in production; elsewhere a missing key means a random one per process (clearances
   * then survive neither a restart nor a hop to another instance). Never logged.
   */
  key?: string;
  /**
   * The actions one clearance covers (`CAPTCHA_CLEARANCE_ACTIONS`, comma-separated): a verified
   * challenge on any of them clears them all. Default: only the action it was earned on. Routes
   * without an action neither earn nor honour clearances.
   */
  actions?: readonly string[];
}

/** A provider registered beside the primary one (an entry of `providers`). @public */
export interface CaptchaProviderConfig {
  provider: CaptchaProviderName;
  siteKey?: string;
  secretKey?: CaptchaSecret;
  verifyUrl?: string;
}

/** Circuit breaker per provider: after `threshold` consecutive failures, stop calling it. @public */
export interface CaptchaCircuitBreakerOptions {
  /** Consecutive outages that open the circuit. Default `5`. */
  threshold?: number;
  /** How long it stays open before one trial call (half-open). Default `30_000` ms. */
  halfOpenAfterMs?: number;
}

/** One audit event: what happened to a provider or a policy, never a token or a secret. @public */
export interface CaptchaAuditEvent {
  event:
    | 'captcha.provider_unreachable'
    | 'captcha.circuit_opened'
    | 'captcha.circuit_closed'
    | 'captcha.fail_open'
    | 'captcha.fallback_used'
    | 'captcha.misconfigured';
  /** The verifier's name: a provider's, or `recaptcha-v2` for the v2 checkbox step-up. */
  provider: CaptchaVerifierName;
  [field: string]: unknown;
}

/** Receives audit events; the default writes them through Nest's `Logger` as structured objects. @public */
export interface CaptchaAuditSink {
  emit(event: CaptchaAuditEvent): void;
}

/**
 * Options of {@link CaptchaModule}. Build them from the environment with
 * `captchaOptionsFromEnv(config)`, or write them by hand.
 * @public
 */
export interface CaptchaModuleOptions {
  /** Which provider verifies tokens (`CAPTCHA_PROVIDER`). Default `'altcha'`. */
  provider?: CaptchaProviderName;
  /** Public site key the widget uses (`CAPTCHA_SITE_KEY`); sent to clients in challenges. */
  siteKey?: string;
  /** Server secret (`CAPTCHA_SECRET_KEY`). Never logged. */
  secretKey?: CaptchaSecret;
  /** Overrides the provider's verify URL (`CAPTCHA_VERIFY_URL`), for proxies, regions and tests. */
  verifyUrl?: string;
  /**
   * Google Cloud project id of reCAPTCHA Enterprise (`CAPTCHA_PROJECT_ID`): required for
   * `recaptcha-enterprise`, whose `secretKey` is an API key. Fills `{projectId}` in `verifyUrl`.
   */
  projectId?: string;
  /** Friendly Captcha API version: `2` (default, `X-API-Key`) or `1` (legacy `secret` in the body). */
  friendlyCaptchaVersion?: 1 | 2;
  /** Provider call timeout in ms (`CAPTCHA_TIMEOUT_MS`). Default `3000`. */
  timeoutMs?: number;
  /** What to do when the provider cannot answer (`CAPTCHA_FAILURE_MODE`). Default `'closed'`. */
  failureMode?: CaptchaFailureMode;
  /**
   * More providers beside the primary one, for routes that pick them with
   * `@RequireCaptcha({ provider })` (e.g. reCAPTCHA v3 for a legacy client). One per provider name.
   */
  providers?: CaptchaProviderConfig[];
  /**
   * The fallback of `failureMode: 'fallback'` (`CAPTCHA_FALLBACK_PROVIDER` or
   * `CAPTCHA_FALLBACK_METHOD`).
   */
  fallback?: CaptchaFallback;
  /**
   * The default step-up of every route (`@RequireCaptcha({ stepUp })` overrides it): a
   * score-based proof under `minScore` is answered `captcha_required` naming this provider.
   */
  stepUp?: CaptchaStepUpOptions;
  /** Clearance after a verified challenge (off unless set). See {@link CaptchaClearanceOptions}. */
  clearance?: CaptchaClearanceOptions;
  /** Circuit breaker settings, or `false` to call the provider whatever happened before. */
  circuitBreaker?: CaptchaCircuitBreakerOptions | false;
  /**
   * Metrics backends: `'prometheus'` (prom-client), `'opentelemetry'` (@opentelemetry/api),
   * `'both'`, or `false`. Default `'auto'`: whichever of the two packages is installed.
   */
  metrics?: 'auto' | 'prometheus' | 'opentelemetry' | 'both' | false;
  /**
   * The prom-client `Registry` to register on. Default: prom-client's default registry. (Typed
   * structurally so this package's types do not require prom-client.)
   */
  metricsRegistry?: { getSingleMetric(name: string): unknown; metrics(): Promise<string> };
  /**
   * One structured log line per decision (Nest `Logger`, context `CaptchaGuard`): successes and
   * outages at debug (see `outageLogIntervalMs`), rejections at warn, `misconfigured` at error.
   * Default `true`.
   */
  logDecisions?: boolean;
  /**
   * While the store or a provider is down, the log says so once (error), then sums up the
   * failures at most once per this many milliseconds (warn), and says when it is back (warn);
   * the per-request lines of the outage go to debug. From 100 to 3600000. Default `10000`.
   */
  outageLogIntervalMs?: number;
  /**
   * User-facing messages of the three answers, per language, over the built-in ones (en, es, fr,
   * de, pt, ja, zh, ru); the language is chosen from `Accept-Language`.
   */
  messages?: Record<
    string,
    Partial<Record<'captcha_required' | 'captcha_invalid' | 'captcha_unavailable', string>>
  >;
  /** Where audit events go. Default: Nest `Logger` (context `CaptchaAudit`). */
  auditSink?: CaptchaAuditSink;
  /**
   * An undici Dispatcher for provider calls (default: a keep-alive Agent owned by the module),
   * e.g. `new ProxyAgent(url)` to go through a proxy. The module neither closes nor destroys a
   * dispatcher given here.
   */
  dispatcher?: import('undici').Dispatcher;
  /** Minimum score for score-based providers (`CAPTCHA_MIN_SCORE`). Default `0.5`. */
  minScore?: number;
  /** Per-action minimum scores, e.g. `{ checkout: 0.7 }`; a handler's own `minScore` wins. */
  minScoreByAction?: Record<string, number>;
  /** Hosts a token may be solved on (`CAPTCHA_EXPECTED_HOSTNAMES`); empty = any host. */
  expectedHostnames?: string[];
  /**
   * Tokens solved longer ago than this (by the provider's `challenge_ts`) are `expired`. Default:
   * the provider's documented token lifetime plus 30 s for clock skew (Turnstile 300 s, reCAPTCHA,
   * reCAPTCHA Enterprise and hCaptcha 120 s); none for Friendly Captcha and CaptchaLa, which
   * document none, and ALTCHA, whose payloads carry a signed expiry.
   */
  maxTokenAgeSeconds?: number;
  /**
   * Which proxies to trust for the client IP (`CAPTCHA_TRUST_PROXY`): `false` (socket address
   * only, the default), `true` (trust all), a hop count, or addresses/CIDRs/`'loopback'` etc. as
   * accepted by `proxy-addr`.
   */
  trustProxy?: boolean | number | string | string[];
  /**
   * A CDN / proxy header that holds the client IP (`CAPTCHA_CLIENT_IP_HEADER`), read only when
   * the socket peer is trusted by `trustProxy`, before `X-Forwarded-For`; when it is missing or
   * malformed, the `X-Forwarded-For` walk decides. Case-insensitive. Default: none, and then no
   * vendor header is ever read (any client can send one). Set it only if every trusted proxy
   * overwrites the header, e.g. `'cf-connecting-ip'` when all traffic comes through Cloudflare.
   * Needs `trustProxy`: set without it, start-up fails (the header could never be read).
   */
  clientIpHeader?: ClientIpHeaderName;
  /**
   * The IPv6 prefix length per-IP counters (`per: 'ip'`) group clients by
   * (`CAPTCHA_IPV6_PREFIX`), an integer from 32 to 128: one subscriber holds at least a /64, so
   * counting single addresses lets it rotate through 2^64 of them. `128` counts every address
   * alone. IPv4 addresses (and IPv4-mapped IPv6) always count alone. Default `64`.
   */
  ipv6Prefix?: number;
  /**
   * Where counters and single-use claims live (`CAPTCHA_STORE`): `'memory'` (default, this
   * process only), `'redis'` (shared by every instance; see `redis`), or your own
   * {@link CaptchaStore}.
   */
  store?: CaptchaStore | 'memory' | 'redis';
  /** Settings of the memory store. */
  memory?: {
    /** Most counters kept; the least recently used are evicted past it. Default `100_000`. */
    maxEntries?: number;
    /**
     * Most single-use claims kept, in a budget of their own: a live claim is never evicted, and a
     * claim that does not fit is refused (503 `captcha_unavailable`). Default `100_000`.
     */
    maxClaims?: number;
  };
  /** Settings of the Redis store (`store: 'redis'`). */
  redis?: CaptchaRedisOptions;
  /**
   * What to do when the store fails (Redis down): `'closed'` (default) answers 503
   * `captcha_unavailable`; `'open'` carries on without the store's answer and logs it.
   */
  storeFailureMode?: 'closed' | 'open';
  /** ALTCHA settings (used when `provider` is `'altcha'`). */
  altcha?: AltchaOptions;
  /** CaptchaLa settings (used when `provider` or the fallback provider is `'captchala'`). */
  captchala?: CaptchalaOptions;
  /** Replaces the built-in token lookup (body `captcha.token`, `captchaToken`, widget fields, header). */
  tokenExtractor?: CaptchaTokenExtractor;
  /**
   * Once `@RequireCaptcha()` lets a request through (calm, verified, or bypassed by `skipIf`;
   * not on a `@SkipCaptcha()` handler), remove the CAPTCHA fields from its body (a plain-object
   * body only), so the app's DTO need not declare them and a strict
   * `ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })` accepts the request: `true`
   * (default) removes `captcha`, `captchaToken` and the widget fields (`cf-turnstile-response`,
   * `g-recaptcha-response`, `h-captcha-response`, `frc-captcha-response`,
   * `frc-captcha-solution`, `altcha`); a list removes those top-level fields instead (for a
   * custom `tokenExtractor`); `false` keeps the body as it came. `@CaptchaResult()` is
   * unaffected (it reads the verification). The same fields are removed from a WebSocket
   * gateway's or microservice handler's message data (`@MessageBody()`, `@Payload()`) when it is a
   * plain object. GraphQL arguments are left alone.
   */
  stripTokenFields?: boolean | readonly string[];
  /** Bypass the checkpoint for some requests (e.g. machine-to-machine clients). */
  skipIf?: (context: ExecutionContext) => boolean | Promise<boolean>;
  /** Environment name shown in logs (`CAPTCHA_ENV`). */
  environment?: string;
  /**
   * Staging only (`CAPTCHA_ALLOW_TEST_KEYS=true`): start in production (`NODE_ENV` or
   * `CAPTCHA_ENV` is `production`, any casing) even though a site key or secret is a provider's
   * public test key, which answers fixed verdicts. Default `false`: start-up stops, naming the key.
   */
  allowTestKeys?: boolean;
}
