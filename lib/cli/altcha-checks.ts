import { performance } from 'node:perf_hooks';
import { solveChallenge } from 'altcha-lib';
import { deriveKey as derivePbkdf2 } from 'altcha-lib/algorithms/pbkdf2';
import { deriveKey as deriveSha } from 'altcha-lib/algorithms/sha';
import { MIN_HMAC_KEY_LENGTH } from '../config/hmac-key-strength';
import type { CaptchaProviders } from '../providers/captcha-providers';
import type { CaptchaVerifier } from '../verification/captcha-verifier.service';
import {
  type DoctorCheck,
  type DoctorEnvironment,
  type DoctorOptions,
  elapsed,
  errorMessage,
} from './doctor-check';
import { setSigningKeyCheck } from './signing-key-check';

/**
 * The `altcha-hmac-key` check: a set, strong key (weak or unset: fails in production).
 *
 * @internal
 */
export function hmacKeyCheck(env: DoctorEnvironment, production: boolean): DoctorCheck {
  const key = (env.CAPTCHA_ALTCHA_HMAC_KEY ?? '').trim();
  if (key !== '') {
    // Length and (in production) strength were checked with the configuration; a weak key
    // outside production is a warning. The reason never quotes the key.
    const consequence = 'it is refused in production';
    return setSigningKeyCheck(
      'altcha-hmac-key',
      'CAPTCHA_ALTCHA_HMAC_KEY',
      key,
      production,
      consequence,
    );
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

/**
 * Signs a challenge with the module, solves it as the widget would, and verifies the solution.
 *
 * @internal
 */
export async function altchaRoundTrip(
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
