import {
  CaptchaConfigError,
  type CaptchaModuleOptions,
  resolveCaptchaOptions,
} from '../../lib/config';

/** A secret that must never appear in a message. */
export const SECRET = 'sk_live_SUPERSECRET123';

/** Valid Turnstile options, to add the setting under test to. */
export const TURNSTILE: CaptchaModuleOptions = {
  provider: 'turnstile',
  siteKey: '0x4AAAAAAAsite',
  secretKey: SECRET,
};

/** Outside production. */
export const DEV = { nodeEnv: 'development' };

/** The `CaptchaConfigError` that `resolveCaptchaOptions(options, env)` throws (fails when none). */
export function optionsError(
  options: unknown,
  env: { nodeEnv?: string; captchaEnv?: string } = DEV,
): CaptchaConfigError {
  try {
    resolveCaptchaOptions(options as CaptchaModuleOptions, env);
  } catch (error) {
    expect(error).toBeInstanceOf(CaptchaConfigError);
    return error as CaptchaConfigError;
  }
  throw new Error('expected a CaptchaConfigError');
}

/** The problem lines of an error (without its heading). */
export function linesOf(error: CaptchaConfigError): string[] {
  return error.message.split('\n').slice(1);
}
