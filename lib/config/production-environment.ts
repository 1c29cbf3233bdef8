/**
 * Where "are we in production?" is read from: `NODE_ENV`, `CAPTCHA_ENV` and the `environment`
 * option (which `captchaOptionsFromEnv` fills from `CAPTCHA_ENV`).
 * @internal
 */
export interface CaptchaEnvironmentSignals {
  /** `process.env.NODE_ENV` (or the config's). */
  nodeEnv?: unknown;
  /** `process.env.CAPTCHA_ENV` (or the config's). */
  captchaEnv?: unknown;
  /** `options.environment`. */
  environment?: unknown;
}

/**
 * True for `production` in any casing, with surrounding whitespace: `' Production '` is a
 * production deployment whose env file has a typo, not a development one.
 * @internal
 */
export function isProductionName(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'production';
}

/**
 * Which signal says production, as a message fragment (`environment "production"`,
 * `CAPTCHA_ENV=production`, `NODE_ENV=production`), or `undefined` outside production. One rule
 * for the module's start-up checks, `CaptchaTestingModule` and `nestjs-captcha doctor`.
 * @internal
 */
export function productionSignal(signals: CaptchaEnvironmentSignals): string | undefined {
  if (isProductionName(signals.environment)) return 'environment "production"';
  if (isProductionName(signals.captchaEnv)) return 'CAPTCHA_ENV=production';
  if (isProductionName(signals.nodeEnv)) return 'NODE_ENV=production';
  return undefined;
}

/** The signals of the running process (`NODE_ENV`, `CAPTCHA_ENV`). @internal */
export function processEnvironmentSignals(): CaptchaEnvironmentSignals {
  return { nodeEnv: process.env.NODE_ENV, captchaEnv: process.env.CAPTCHA_ENV };
}
