import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CaptchaModule } from '../captcha.module';
import { CaptchaConfigError } from '../config/captcha-config.error';
import type { CaptchaModuleOptions } from '../config/captcha-module-options.interface';
import { captchaOptionsFromEnv } from '../config/captcha-options-from-env';
import { productionSignal } from '../config/production-environment';
import { unknownCaptchaVariables, unknownVariableMessage } from '../config/unknown-env-variables';
import { type CaptchaCspDirectives, captchaCspDirectives } from '../csp/captcha-csp-directives';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import { CaptchaProviders } from '../providers/captcha-providers';
import { CaptchaVerifier } from '../verification/captcha-verifier.service';
import { altchaRoundTrip, hmacKeyCheck } from './altcha-checks';
import { clientIpCheck } from './client-ip-check';
import {
  DOCTOR_EXIT_CODES,
  type DoctorCheck,
  type DoctorEnvironment,
  type DoctorExitCode,
  type DoctorOptions,
  type DoctorReport,
  errorMessage,
} from './doctor-check';
import { redact, secretsOf } from './doctor-redaction';
import { providerCheck, testKeyCheck } from './provider-checks';
import { findTestKeys } from './provider-test-keys';
import { clearanceKeyCheck } from './clearance-key-check';
import { redisEvictionCheck } from './redis-eviction-check';
import { redisPersistenceCheck } from './redis-persistence-check';
import { redisCheck } from './redis-reachable-check';

export {
  DOCTOR_EXIT_CODES,
  type DoctorCheck,
  type DoctorEnvFile,
  type DoctorEnvironment,
  type DoctorExitCode,
  type DoctorOptions,
  type DoctorReport,
  type DoctorStatus,
} from './doctor-check';

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
 * - `clearance-key`: with `CAPTCHA_CLEARANCE_TTL`, `CAPTCHA_CLEARANCE_KEY` is set and strong;
 * - `redis`: with `CAPTCHA_STORE=redis`, the store answers a read;
 * - `redis-eviction`: then, whether that Redis may evict single-use claims (`maxmemory-policy`);
 * - `redis-persistence`: and whether it keeps them across a restart (`appendonly`, `save`).
 *
 * @example
 * ```ts
 * const report = await runDoctor({ ...process.env, CAPTCHA_ENV: 'production' });
 * if (!report.ok) console.error(report.checks.filter((c) => c.status === 'fail'));
 * ```
 *
 * @internal
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
  const clearanceKey = clearanceKeyCheck(env, production);
  if (clearanceKey) checks.push(clearanceKey);

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
      checks.push(await redisPersistenceCheck(options.redis.url, timeoutMs));
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
