import { solveChallenge } from 'altcha-lib';
import { deriveKey as derivePbkdf2 } from 'altcha-lib/algorithms/pbkdf2';
import { deriveKey as deriveSha } from 'altcha-lib/algorithms/sha';
import type { AltchaChallenge } from 'nestjs-captcha';

/** Cheap ALTCHA settings for tests: a real proof of work, solved in milliseconds. */
export const FAST_ALTCHA = {
  hmacKey: 'test-altcha-hmac-key-0123456789abcdef',
  algorithm: 'SHA-256' as const,
  cost: 1,
  counter: [50, 200] as [number, number],
};

/** Solves a challenge the way the widget does and returns the payload it would post. */
export async function solveAltcha(challenge: AltchaChallenge): Promise<string> {
  const deriveKey = challenge.parameters.algorithm.startsWith('PBKDF2/') ? derivePbkdf2 : deriveSha;
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('could not solve the ALTCHA challenge');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}
