import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeCaptchaServer } from 'nestjs-captcha/testing';

// The sample's step-up profile (sample/step-up.env, `npm run sample:step-up`), read as
// `node --env-file` reads it, for the sample tests and the browser test.

const PROFILE = join(__dirname, '..', '..', 'sample', 'step-up.env');
/** Where `nestjs-captcha fake-provider` listens by default. */
export const FAKE_PROVIDER_ORIGIN = 'http://127.0.0.1:8787';

/** The profile's variables, as `node --env-file` reads these plain `NAME=value` lines. */
export function readStepUpProfile(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(PROFILE, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]] = match[2];
  }
  return env;
}

/** The profile pointed at a fake provider of the test's own instead of port 8787. */
export function stepUpProfileFor(fake: FakeCaptchaServer): Record<string, string> {
  const env = readStepUpProfile();
  for (const [name, value] of Object.entries(env)) {
    env[name] = value.replace(FAKE_PROVIDER_ORIGIN, fake.url);
  }
  return env;
}
