import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { solveChallenge } from 'altcha-lib';
import { deriveKey as derivePbkdf2 } from 'altcha-lib/algorithms/pbkdf2';
import { deriveKey as deriveSha } from 'altcha-lib/algorithms/sha';
import { CaptchaModule } from '../captcha.module';
import { CaptchaConfigError } from '../config/captcha-config.error';
import type { CaptchaModuleOptions } from '../config/captcha-module-options.interface';
import { captchaOptionsFromEnv } from '../config/captcha-options-from-env';
import { DEFAULT_IPV6_PREFIX } from '../http/client-ip-resolver';
import { type CaptchaCspDirectives, captchaCspDirectives } from '../csp/captcha-csp-directives';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import { CaptchaProviders } from '../providers/captcha-providers';
import { RedisCaptchaStore } from '../stores/redis-captcha.store';
import { redisEvictionCheck } from './redis-eviction-check';
import { CaptchaVerifier } from '../verification/captcha-verifier.service';
import { MIN_HMAC_KEY_LENGTH, hmacKeyWeakness } from '../config/hmac-key-strength';
import { urlSecretParts } from '../config/mask-url-secrets';
import { productionSignal } from '../config/production-environment';
import { findTestKeys } from './provider-test-keys';
import { unknownCaptchaVariables, unknownVariableMessage } from '../config/unknown-env-variables';

/** How one check ended: `warn` does not fail the run. */
export type DoctorStatus = 'pass' | 'warn' | 'fail';

/** One line of the doctor's checklist. */
export interface DoctorCheck {
  /**
   * `configuration`, `variables`, `client-ip`, `test-keys`, `provider`, `altcha-hmac-key`, `altcha-round-trip`,
   * `fallback`, `redis` or `redis-eviction`.
   */
  name: string;
  status: DoctorStatus;
  /** What was found; never a secret, a token or a Redis password. */
  message: string;
  /** Round-trip time of the call the check made, in ms. */
  latencyMs?: number;
}

/**
 * The doctor's exit codes: `0` every check passed (warnings allowed), `1` a check failed, `2` bad
 * configuration (a `CAPTCHA_*` variable is invalid) or bad usage.
 */
export const DOCTOR_EXIT_CODES = { ok: 0, checkFailed: 1, badConfiguration: 2 } as const;

export type DoctorExitCode = (typeof DOCTOR_EXIT_CODES)[keyof typeof DOCTOR_EXIT_CODES];

/** Everything `nestjs-captcha doctor` found; printed as a checklist or, with `--json`, as is. */
export interface DoctorReport {
  /** `true` when no check failed (`exitCode` 0). */
  ok: boolean;
  exitCode: DoctorExitCode;
  /** The configured provider; `null` when the configuration could not be read. */
  provider: CaptchaProviderName | null;
  /** The configured fallback provider, if any. */
  fallbackProvider: CaptchaProviderName | null;
  /** `CAPTCHA_ENV=production` or `NODE_ENV=production`. */
  production: boolean;
  checks: DoctorCheck[];
  /** The CSP sources the widget(s) need; `null` when the configuration could not be read. */
  csp: CaptchaCspDirectives | null;
  /** The .env file read besides the process environment; `null` when none was. */
  envFile: DoctorEnvFile | null;
}

/** A .env file the doctor read (the CLI reads `./.env` by default, as `@nestjs/config` does). */
export interface DoctorEnvFile {
  /** The file's path, as resolved. */
  path: string;
  /** `CAPTCHA_*` and `NODE_ENV` variables taken from the file (names only, never values). */
  variables: string[];
  /** Those also set in the process environment, which wins over the file. */
  overridden: string[];
}

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** How long the Redis check waits for each command, connection included. Default `2000` ms. */
  redisTimeoutMs?: number;
  /** How long solving the ALTCHA test challenge may take. Default `30_000` ms. */
  altchaSolveTimeoutMs?: number;
  /** The .env file `env` includes, to name in the report. */
  envFile?: DoctorEnvFile;
}

/** Environment variables, as `process.env` holds them. */
export type DoctorEnvironment = Readonly<Record<string, string | undefined>>;

/** The Redis store's default command timeout: slower answers fail requests in the app. */
const REDIS_STORE_COMMAND_TIMEOUT_MS = 100;

/** Reasons a made-up token may get once the provider judged it: our secret was accepted. */
const TOKEN_VERDICTS = new Set(['invalid', 'malformed', 'expired', 'duplicate']);

/**
 * Runs the checks of `nestjs-captcha doctor` on `env` (default `process.env`) and returns the
 * report; nothing is printed. The configuration is read by {@link captchaOptionsFromEnv}, and the
 * provider is exercised through the real module (`CaptchaModule.forRoot` in a Nest application
 * context, circuit breaker off, memory store), so the checks see what the app would see:
 *
 * - `configuration`: the `CAPTCHA_*` variables are valid (exit code 2 when not), with the app's
 *   rules and messages (blank values, keys without `CAPTCHA_PROVIDER`, did-you-mean);
 * - `variables`: a warning naming each `CAPTCHA_*` variable the library does not read, with a
 *   did-you-mean (only when there is one);
 * - `test-keys`: no public test site key or secret (a failure in production, a warning elsewhere);
 * - `provider`: one verification of a made-up token (or, for a test secret, the provider's test
 *   token), which the provider must judge as a token (`invalid`, `duplicate`, …): a rejected
 *   secret or site key, or an unreachable provider, fails; the round trip is timed;
 * - ALTCHA, instead: `altcha-hmac-key` (set, or a warning outside production) and
 *   `altcha-round-trip` (a challenge signed, solved and verified locally);
 * - `fallback`: the fallback provider, when one is set;
 * - `redis`: with `CAPTCHA_STORE=redis`, the store answers a read;
 * - `redis-eviction`: then, whether that Redis may evict single-use claims (`maxmemory-policy`).
 *
 * @example
 * ```ts
 * const report = await runDoctor({ ...process.env, CAPTCHA_ENV: 'production' });
 * if (!report.ok) console.error(report.checks.filter((c) => c.status === 'fail'));
 * ```
 */
export async function runDoctor(
  env: DoctorEnvironment = process.env,
  doctorOptions: DoctorOptions = {},
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const secrets = secretsOf(env);
  const envFile = doctorOptions.envFile ?? null;
  const finish = (
    report: Omit<DoctorReport, 'ok' | 'exitCode' | 'checks' | 'envFile'>,
    config = true,
  ): DoctorReport => {
    const failed = checks.some((check) => check.status === 'fail');
    const exitCode: DoctorExitCode = !config
      ? DOCTOR_EXIT_CODES.badConfiguration
      : failed
        ? DOCTOR_EXIT_CODES.checkFailed
        : DOCTOR_EXIT_CODES.ok;
    return {
      ok: exitCode === DOCTOR_EXIT_CODES.ok,
      exitCode,
      ...report,
      checks: checks.map((check) => ({ ...check, message: redact(check.message, secrets) })),
      envFile,
    };
  };
  const badConfiguration = (error: CaptchaConfigError) => {
    checks.push({ name: 'configuration', status: 'fail', message: error.message });
    return finish({ provider: null, fallbackProvider: null, production: false, csp: null }, false);
  };

  let options: CaptchaModuleOptions;
  try {
    // Test keys are reported by the `test-keys` check (with the provider still probed), not as a
    // configuration error; an invalid CAPTCHA_ALLOW_TEST_KEYS is still one.
    // A blank one is too, as in the app.
    const allow = env.CAPTCHA_ALLOW_TEST_KEYS?.trim().toLowerCase();
    const allowTestKeys = allow === undefined || allow === 'true' || allow === 'false';
    options = captchaOptionsFromEnv(
      { get: (key) => (key === 'CAPTCHA_ALLOW_TEST_KEYS' && allowTestKeys ? 'true' : env[key]) },
      // Unknown variables become the `variables` check (and lines of a configuration error).
      { variableNames: Object.keys(env), logger: false },
    );
  } catch (error) {
    if (error instanceof CaptchaConfigError) return badConfiguration(error);
    throw error;
  }

  const provider = options.provider ?? 'altcha';
  const fallback = options.fallback;
  const fallbackProvider = fallback && 'provider' in fallback ? fallback.provider : undefined;
  // The module's rule: NODE_ENV or CAPTCHA_ENV is production, in any casing, trimmed.
  const production =
    productionSignal({
      environment: options.environment,
      captchaEnv: env.CAPTCHA_ENV,
      nodeEnv: env.NODE_ENV,
    }) !== undefined;
  const testKeysAllowed = env.CAPTCHA_ALLOW_TEST_KEYS?.trim().toLowerCase() === 'true';
  const timeoutMs = options.timeoutMs ?? 3000;
  checks.push({
    name: 'configuration',
    status: 'pass',
    message:
      `CAPTCHA_* variables are valid: provider ${provider}, ` +
      `${options.store === 'redis' ? 'redis' : 'memory'} store, timeout ${timeoutMs} ms, ` +
      `failure mode ${options.failureMode ?? 'closed'}` +
      (fallbackProvider ? `, fallback provider ${fallbackProvider}` : '') +
      (fallback && 'method' in fallback ? `, fallback method ${fallback.method}` : '') +
      (production ? ', production' : ''),
  });

  const unknown = unknownCaptchaVariables(Object.keys(env));
  if (unknown.length > 0) {
    checks.push({
      name: 'variables',
      status: 'warn',
      message: unknown.map(unknownVariableMessage).join('\n'),
    });
  }

  checks.push(clientIpCheck(options));

  const secretKey = typeof options.secretKey === 'string' ? options.secretKey : undefined;
  const testKeys = findTestKeys(provider, options.siteKey, secretKey);
  if (provider !== 'altcha') {
    checks.push(testKeyCheck(provider, testKeys, production, testKeysAllowed));
  }

  let app: INestApplicationContext | undefined;
  try {
    try {
      app = await NestFactory.createApplicationContext(
        CaptchaModule.forRoot(moduleOptionsFor(options)),
        { logger: false, abortOnError: false },
      );
    } catch (error) {
      if (isConfigError(error)) return badConfiguration(error);
      checks.push({
        name: 'provider',
        status: 'fail',
        message: `the module did not start: ${errorMessage(error)}`,
      });
      return finish({
        provider,
        fallbackProvider: fallbackProvider ?? null,
        production,
        csp: cspFor(provider, fallbackProvider),
      });
    }
    const verifier = app.get(CaptchaVerifier);
    const providers = app.get(CaptchaProviders);

    if (provider === 'altcha' || fallbackProvider === 'altcha') {
      checks.push(hmacKeyCheck(env, production));
    }
    if (provider === 'altcha') {
      checks.push(await altchaRoundTrip('altcha-round-trip', verifier, providers, doctorOptions));
    } else {
      checks.push(await providerCheck(provider, verifier, testKeys, timeoutMs));
    }

    if (fallbackProvider === 'altcha') {
      checks.push(await altchaRoundTrip('fallback', verifier, providers, doctorOptions));
    } else if (fallbackProvider !== undefined) {
      checks.push({
        name: 'fallback',
        status: 'warn',
        message:
          `fallback provider ${fallbackProvider} is not checked: its keys come from code ` +
          '(options.fallback.siteKey and secretKey), not from the environment',
      });
    }
  } finally {
    await app?.close().catch(() => undefined);
  }

  if (options.store === 'redis') {
    const timeoutMs = doctorOptions.redisTimeoutMs ?? 2000;
    const reachable = await redisCheck(options.redis?.url, timeoutMs);
    checks.push(reachable);
    if (reachable.status !== 'fail' && options.redis?.url) {
      checks.push(await redisEvictionCheck(options.redis.url, timeoutMs));
    }
  }

  return finish({
    provider,
    fallbackProvider: fallbackProvider ?? null,
    production,
    csp: cspFor(provider, fallbackProvider),
  });
}

/**
 * The options the doctor's module runs with: the configured ones, with the circuit breaker off (one
 * failure must not hide the next), the memory store (Redis is checked on its own), a silent audit
 * sink, and no fallback provider that needs keys from code (no variable can hold them).
 */
function moduleOptionsFor(options: CaptchaModuleOptions): CaptchaModuleOptions {
  const moduleOptions: CaptchaModuleOptions = {
    ...options,
    circuitBreaker: false,
    store: 'memory',
    auditSink: { emit: () => undefined },
  };
  delete moduleOptions.redis;
  const fallback = options.fallback;
  if (fallback && 'provider' in fallback && fallback.provider !== 'altcha') {
    delete moduleOptions.fallback;
    if (moduleOptions.failureMode === 'fallback') moduleOptions.failureMode = 'closed';
  }
  return moduleOptions;
}

function testKeyCheck(
  provider: CaptchaProviderName,
  found: ReturnType<typeof findTestKeys>,
  production: boolean,
  allowed: boolean,
): DoctorCheck {
  const problems: string[] = [];
  if (found.siteKey !== undefined) {
    problems.push(`CAPTCHA_SITE_KEY is ${provider}'s public test site key (${found.siteKey})`);
  }
  if (found.secret !== undefined) {
    problems.push(`CAPTCHA_SECRET_KEY is ${provider}'s public test secret (${found.secret})`);
  }
  if (problems.length === 0) {
    return {
      name: 'test-keys',
      status: 'pass',
      message: 'the site key and secret are not public test keys',
    };
  }
  if (production && allowed) {
    return {
      name: 'test-keys',
      status: 'warn',
      message: `${problems.join('; ')}: allowed in production by CAPTCHA_ALLOW_TEST_KEYS=true (staging only); test keys protect nothing`,
    };
  }
  return production
    ? {
        name: 'test-keys',
        status: 'fail',
        message: `${problems.join('; ')}: test keys protect nothing and must not be used in production`,
      }
    : {
        name: 'test-keys',
        status: 'warn',
        message: `${problems.join('; ')}: fine for development, never for production`,
      };
}

/** Proves the secret is accepted: the provider must judge a made-up token, not refuse our keys. */
async function providerCheck(
  provider: CaptchaProviderName,
  verifier: CaptchaVerifier,
  testKeys: ReturnType<typeof findTestKeys>,
  timeoutMs: number,
): Promise<DoctorCheck> {
  const token = testKeys.probeToken ?? `nestjs-captcha-doctor-${randomBytes(12).toString('hex')}`;
  const what = testKeys.probeToken ? `its public test token` : 'a made-up token';
  const started = performance.now();
  try {
    const verification = await verifier.verify(token, {});
    const latencyMs = elapsed(started);
    const codes = verification.errorCodes.length ? ` (${verification.errorCodes.join(', ')})` : '';
    if (verification.reason !== undefined && TOKEN_VERDICTS.has(verification.reason)) {
      return slowOrPass(
        `secret accepted: ${provider} answered "${verification.reason}"${codes} to ${what}, ` +
          `as expected, in ${latencyMs} ms`,
        latencyMs,
        timeoutMs,
      );
    }
    // The provider's own verdict passed (our action/hostname/score policy may still refuse it).
    if (testKeys.secret !== undefined) {
      return slowOrPass(
        `secret accepted: ${provider}'s test secret passed ${what} in ${latencyMs} ms`,
        latencyMs,
        timeoutMs,
      );
    }
    return {
      name: 'provider',
      status: 'fail',
      message:
        `${provider} accepted ${what}: every token would pass. Is CAPTCHA_VERIFY_URL ` +
        'pointing at a mock or a proxy that answers success?',
      latencyMs,
    };
  } catch (error) {
    const latencyMs = elapsed(started);
    if (error instanceof CaptchaUnavailableError && error.kind === 'misconfigured') {
      return {
        name: 'provider',
        status: 'fail',
        message: error.details.errorCodes?.length
          ? `secret or site key rejected by ${provider}: ${error.details.errorCodes.join(', ')}. ` +
            'Check that CAPTCHA_SECRET_KEY and CAPTCHA_SITE_KEY belong together and to this environment' +
            (provider === 'recaptcha-enterprise' ? ', and CAPTCHA_PROJECT_ID to the API key' : '')
          : `secret or site key rejected: ${error.message}`,
        latencyMs,
      };
    }
    if (error instanceof CaptchaUnavailableError) {
      // The error's message names the provider and the cause ("turnstile answered HTTP 503").
      return {
        name: 'provider',
        status: 'fail',
        message:
          `provider unavailable (${error.kind}): ${error.message}. ` +
          'Check CAPTCHA_VERIFY_URL, outbound network access and CAPTCHA_TIMEOUT_MS',
        latencyMs,
      };
    }
    return {
      name: 'provider',
      status: 'fail',
      message: `verification failed unexpectedly: ${errorMessage(error)}`,
      latencyMs,
    };
  }
}

/** A passing provider answer, or a warning when it took more than half of the timeout. */
function slowOrPass(message: string, latencyMs: number, timeoutMs: number): DoctorCheck {
  if (latencyMs > timeoutMs / 2) {
    return {
      name: 'provider',
      status: 'warn',
      message:
        `${message}: more than half of the ${timeoutMs} ms timeout (CAPTCHA_TIMEOUT_MS); ` +
        'slow answers will turn into outages',
      latencyMs,
    };
  }
  return { name: 'provider', status: 'pass', message, latencyMs };
}

function hmacKeyCheck(env: DoctorEnvironment, production: boolean): DoctorCheck {
  const key = (env.CAPTCHA_ALTCHA_HMAC_KEY ?? '').trim();
  if (key !== '') {
    // Length and (in production) strength were checked with the configuration; a weak key
    // outside production is a warning. The reason never quotes the key.
    const weakness = hmacKeyWeakness(key);
    if (weakness !== undefined) {
      return {
        name: 'altcha-hmac-key',
        status: production ? 'fail' : 'warn',
        message: `CAPTCHA_ALTCHA_HMAC_KEY is weak (${weakness}): it is refused in production; use e.g. \`openssl rand -hex 32\``,
      };
    }
    return {
      name: 'altcha-hmac-key',
      status: 'pass',
      message: `CAPTCHA_ALTCHA_HMAC_KEY is set (${MIN_HMAC_KEY_LENGTH}+ characters, no placeholder or repeated pattern)`,
    };
  }
  // Unreachable in production today (the configuration check refuses it first); kept for safety.
  return {
    name: 'altcha-hmac-key',
    status: production ? 'fail' : 'warn',
    message:
      'CAPTCHA_ALTCHA_HMAC_KEY is not set: a random key is made per process, so challenges do ' +
      'not survive restarts or work across instances' +
      (production
        ? '; it is required in production'
        : `. Set it (${MIN_HMAC_KEY_LENGTH}+ random characters) before production`),
  };
}

/** Signs a challenge with the module, solves it as the widget would, and verifies the solution. */
async function altchaRoundTrip(
  name: string,
  verifier: CaptchaVerifier,
  providers: CaptchaProviders,
  options: DoctorOptions,
): Promise<DoctorCheck> {
  const altcha = providers.altcha;
  if (!altcha) return { name, status: 'fail', message: 'the ALTCHA provider is not registered' };
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.altchaSolveTimeoutMs ?? 30_000);
  try {
    const challenge = await altcha.createChallenge();
    const { algorithm, cost } = challenge.parameters;
    const deriveKey = algorithm.startsWith('PBKDF2/') ? derivePbkdf2 : deriveSha;
    const solution = await solveChallenge({ challenge, deriveKey, controller });
    if (!solution) {
      return {
        name,
        status: 'fail',
        message: `the ALTCHA challenge (${algorithm}, cost ${cost}) could not be solved in time`,
        latencyMs: elapsed(started),
      };
    }
    const payload = Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
    const verification = await verifier.verify(payload, { provider: 'altcha' });
    const latencyMs = elapsed(started);
    if (!verification.success) {
      return {
        name,
        status: 'fail',
        message: `a solved ALTCHA challenge was refused: ${verification.reason} (${verification.errorCodes.join(', ')})`,
        latencyMs,
      };
    }
    return {
      name,
      status: 'pass',
      message:
        `ALTCHA challenge (${algorithm}, cost ${cost}) signed, solved and verified locally ` +
        `in ${latencyMs} ms`,
      latencyMs,
    };
  } catch (error) {
    return {
      name,
      status: 'fail',
      message: `ALTCHA round trip failed: ${errorMessage(error)}`,
      latencyMs: elapsed(started),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Reads one key through a fresh store, as the app would; the URL never appears in the message. */
async function redisCheck(url: string | undefined, commandTimeoutMs: number): Promise<DoctorCheck> {
  let store: RedisCaptchaStore;
  try {
    store = new RedisCaptchaStore({ url, commandTimeoutMs });
  } catch (error) {
    return { name: 'redis', status: 'fail', message: errorMessage(error) };
  }
  try {
    const started = performance.now();
    await store.count('doctor'); // connects first
    const firstMs = elapsed(started);
    const again = performance.now();
    await store.count('doctor');
    const latencyMs = elapsed(again);
    const message = `Redis reachable: a read took ${latencyMs} ms (${firstMs} ms with the connection)`;
    if (latencyMs > REDIS_STORE_COMMAND_TIMEOUT_MS) {
      return {
        name: 'redis',
        status: 'warn',
        message: `${message}, more than the store's ${REDIS_STORE_COMMAND_TIMEOUT_MS} ms command timeout`,
        latencyMs,
      };
    }
    return { name: 'redis', status: 'pass', message, latencyMs };
  } catch (error) {
    const message = errorMessage(error).replace(/^redis store unavailable: /, '');
    return { name: 'redis', status: 'fail', message: `Redis unreachable: ${message}` };
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * How the client IP will be read (`CAPTCHA_TRUST_PROXY`, `CAPTCHA_CLIENT_IP_HEADER`,
 * `CAPTCHA_IPV6_PREFIX`); a warning where any client could choose its own IP, and with it its
 * per-IP counters.
 */
function clientIpCheck(options: CaptchaModuleOptions): DoctorCheck {
  const { trustProxy, clientIpHeader } = options;
  const header = clientIpHeader?.toLowerCase();
  const grouping = `IPv6 clients counted per /${options.ipv6Prefix ?? DEFAULT_IPV6_PREFIX}`;
  if (trustProxy === undefined || trustProxy === false || trustProxy === 0) {
    if (header !== undefined) {
      return {
        name: 'client-ip',
        status: 'fail',
        message: `CAPTCHA_CLIENT_IP_HEADER=${header} is set, but CAPTCHA_TRUST_PROXY trusts no proxy: the header would never be read`,
      };
    }
    return {
      name: 'client-ip',
      status: 'pass',
      message:
        'client IP: the socket address (CAPTCHA_TRUST_PROXY not set: behind a proxy or load ' +
        `balancer every client would share its address); ${grouping}`,
    };
  }
  if (trustProxy === true) {
    return {
      name: 'client-ip',
      status: 'warn',
      message:
        'CAPTCHA_TRUST_PROXY=true trusts every hop: any client can choose its IP with ' +
        `X-Forwarded-For${header ? ` or ${header}` : ''} and so escape per-IP limits; list your ` +
        "proxies' addresses or CIDR ranges instead",
    };
  }
  if (typeof trustProxy === 'number' && header !== undefined) {
    return {
      name: 'client-ip',
      status: 'warn',
      message:
        `CAPTCHA_TRUST_PROXY=${trustProxy} (a hop count) trusts whatever peer connects, so a ` +
        `client reaching the app directly can set ${header}; list your proxies' addresses or ` +
        'CIDR ranges instead',
    };
  }
  const trusted = Array.isArray(trustProxy)
    ? trustProxy.join(', ')
    : typeof trustProxy === 'number'
      ? `${trustProxy} hop${trustProxy === 1 ? '' : 's'}`
      : trustProxy;
  return {
    name: 'client-ip',
    status: 'pass',
    message:
      `client IP: ${header ? `${header}, else ` : ''}X-Forwarded-For from trusted proxies ` +
      `(${trusted}); ${grouping}`,
  };
}

function cspFor(
  provider: CaptchaProviderName,
  fallback: CaptchaProviderName | undefined,
): CaptchaCspDirectives {
  return captchaCspDirectives(provider, fallback ? { fallback } : {});
}

function isConfigError(error: unknown): error is CaptchaConfigError {
  return (
    error instanceof CaptchaConfigError ||
    (error instanceof Error && error.name === 'CaptchaConfigError' && 'problems' in error)
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** Values that must never be printed: the secret, the HMAC key, the Redis URL and the secret parts of URLs. */
function secretsOf(env: DoctorEnvironment): string[] {
  const values = [env.CAPTCHA_SECRET_KEY, env.CAPTCHA_ALTCHA_HMAC_KEY, env.CAPTCHA_REDIS_URL]
    .map((value) => value?.trim())
    .filter((value): value is string => value !== undefined && value !== '');
  // A URL's password, lone user name, query values (`?api_key=`) and fragment, raw and decoded.
  for (const url of [env.CAPTCHA_REDIS_URL, env.CAPTCHA_VERIFY_URL]) {
    if (url) values.push(...urlSecretParts(url.trim()));
  }
  // Longest first, so a secret containing another is hidden whole.
  return [...new Set(values)]
    .filter((value) => value.length >= 4)
    .sort((a, b) => b.length - a.length);
}

function redact(message: string, secrets: readonly string[]): string {
  let result = message;
  for (const secret of secrets) result = result.split(secret).join('<hidden>');
  return result;
}
