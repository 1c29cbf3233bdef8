import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import type { CaptchaVerifier } from '../verification/captcha-verifier.service';
import { type DoctorCheck, elapsed, errorMessage } from './doctor-check';
import type { findTestKeys } from './provider-test-keys';

/** Reasons a made-up token may get once the provider judged it: our secret was accepted. */
const TOKEN_VERDICTS = new Set(['invalid', 'malformed', 'expired', 'duplicate']);

/**
 * The `test-keys` check: public test keys fail in production, warn elsewhere.
 *
 * @internal
 */
export function testKeyCheck(
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

/**
 * Proves the secret is accepted: the provider must judge a made-up token, not refuse our keys.
 *
 * @internal
 */
export async function providerCheck(
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

/**
 * A passing provider answer, or a warning when it took more than half of the timeout.
 *
 * @internal
 */
export function slowOrPass(message: string, latencyMs: number, timeoutMs: number): DoctorCheck {
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
