import { Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CaptchaConfigError } from './captcha-config.error';
import {
  CAPTCHA_ENV_SPECS,
  CAPTCHA_ENV_VARIABLES,
  type CaptchaEnvVariable,
  CaptchaEnvironment,
  type EnvParseResult,
} from './captcha-environment';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import type { CaptchaFallback, CaptchaModuleOptions } from './captcha-module-options.interface';
import { unknownCaptchaVariables, unknownVariableMessage } from './unknown-env-variables';

/** Anything that reads configuration values by name; `ConfigService` from `@nestjs/config` fits. */
export interface CaptchaConfigReader {
  get(key: string): unknown;
}

/** Settings of {@link captchaOptionsFromEnv}. */
export interface CaptchaOptionsFromEnvSettings {
  /**
   * The names of the variables set, looked at for unknown `CAPTCHA_*` ones (typos). Default: the
   * names in `process.env`, where `ConfigModule.forRoot()` also puts the variables of `.env`.
   */
  variableNames?: Iterable<string>;
  /**
   * Where the warning about unknown `CAPTCHA_*` variables goes: default Nest's `Logger` (context
   * `CaptchaModule`); `false` for none (the doctor reports them itself).
   */
  logger?: { warn(message: string): unknown } | false;
}

/**
 * Builds {@link CaptchaModuleOptions} from the environment variables of the contract, read through
 * `config` (typically `ConfigService`):
 *
 * | variable | option |
 * |---|---|
 * | `CAPTCHA_PROVIDER` (default `altcha`) | `provider` |
 * | `CAPTCHA_SITE_KEY` / `CAPTCHA_SECRET_KEY` | `siteKey` / `secretKey` (required except for `altcha`) |
 * | `CAPTCHA_PROJECT_ID` | `projectId` (Google Cloud project; required with `recaptcha-enterprise`, whose secret key is an API key) |
 * | `CAPTCHA_VERIFY_URL` | `verifyUrl` (http or https) |
 * | `CAPTCHA_TIMEOUT_MS` | `timeoutMs` (100–60000) |
 * | `CAPTCHA_FAILURE_MODE` | `failureMode` (`closed`, `open`, `fallback`) |
 * | `CAPTCHA_FALLBACK_PROVIDER` | `fallback: { provider }` (a supported provider other than `CAPTCHA_PROVIDER`) |
 * | `CAPTCHA_FALLBACK_METHOD` | `fallback: { method }` (a method name such as `email_otp`) |
 * | `CAPTCHA_MIN_SCORE` | `minScore` (0–1) |
 * | `CAPTCHA_EXPECTED_HOSTNAMES` | `expectedHostnames` (comma-separated) |
 * | `CAPTCHA_TRUST_PROXY` | `trustProxy` (`true`, `false`, a hop count, or a comma-separated list of addresses, CIDRs and `loopback`-style names) |
 * | `CAPTCHA_CLIENT_IP_HEADER` | `clientIpHeader` (`cf-connecting-ip`, `x-real-ip`, `true-client-ip`, `fastly-client-ip`, `x-client-ip`; any case; needs `CAPTCHA_TRUST_PROXY`) |
 * | `CAPTCHA_IPV6_PREFIX` | `ipv6Prefix` (32–128, `56` or `/56`; default 64) |
 * | `CAPTCHA_STORE` (default `memory`) | `store` (`memory`, `redis`) |
 * | `CAPTCHA_REDIS_URL` | `redis.url` (`redis://` or `rediss://`; required with `CAPTCHA_STORE=redis`, used only with it) |
 * | `CAPTCHA_ALTCHA_HMAC_KEY` | `altcha.hmacKey` (required in production with `altcha`) |
 * | `CAPTCHA_ENV` | `environment` |
 * | `CAPTCHA_ALLOW_TEST_KEYS` (`true`/`false`) | `allowTestKeys` (staging only) |
 *
 * `CAPTCHA_FALLBACK_PROVIDER` and `CAPTCHA_FALLBACK_METHOD` are exclusive; `CAPTCHA_FAILURE_MODE=fallback`
 * needs one of them. Either sets `fallback` whatever the failure mode, for routes that choose
 * `failureMode: 'fallback'` themselves. No variable holds a fallback provider's keys: only
 * `altcha` works as it is, others need `fallback.siteKey` and `fallback.secretKey` added to the
 * options built here (`resolveCaptchaOptions` asks for them). A `CAPTCHA_REDIS_URL` without
 * `CAPTCHA_STORE=redis` is checked but not used. Values are trimmed; a blank value (empty or
 * whitespace only) is an error naming the variable, not the default. `CAPTCHA_SITE_KEY` or
 * `CAPTCHA_SECRET_KEY` without `CAPTCHA_PROVIDER` is an error (the default, ALTCHA, would ignore
 * them), as is either key with `CAPTCHA_PROVIDER=altcha`. An unknown provider name gets a
 * did-you-mean (`turnstil` → `turnstile`). A `CAPTCHA_*` variable that is not one of the above is
 * warned about at start-up (Nest `Logger`, with a did-you-mean such as `CAPTCHA_SECERT_KEY` →
 * `CAPTCHA_SECRET_KEY`), and listed in the error when the configuration is invalid. In production (`NODE_ENV` or `CAPTCHA_ENV` is `production`, any casing) a provider's
 * public test site key or secret is refused unless `CAPTCHA_ALLOW_TEST_KEYS=true`, and a weak
 * `CAPTCHA_ALTCHA_HMAC_KEY` (a repeated pattern, placeholder words) is refused.
 *
 * @throws {CaptchaConfigError} listing every bad variable on its own line, with what it accepts.
 *   Secret values (`CAPTCHA_SECRET_KEY`, `CAPTCHA_ALTCHA_HMAC_KEY`, `CAPTCHA_REDIS_URL`) are never
 *   part of the message.
 *
 * @example
 * ```ts
 * CaptchaModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => captchaOptionsFromEnv(config),
 * });
 * ```
 */
export function captchaOptionsFromEnv(
  config: CaptchaConfigReader,
  settings: CaptchaOptionsFromEnvSettings = {},
): CaptchaModuleOptions {
  const plain: Record<string, unknown> = { NODE_ENV: config.get('NODE_ENV') };
  for (const name of CAPTCHA_ENV_VARIABLES) plain[name] = config.get(name);

  // Names only: a typo'd variable is never read, so a value it holds cannot leak from here.
  const unknown = unknownCaptchaVariables(settings.variableNames ?? Object.keys(process.env));
  const logger = settings.logger ?? new Logger('CaptchaModule');
  if (logger !== false) {
    for (const variable of unknown) logger.warn(unknownVariableMessage(variable));
  }

  const env = plainToInstance(CaptchaEnvironment, plain);
  const errors = validateSync(env, { validationError: { target: false, value: false } });
  if (errors.length > 0) {
    const order = (name: string) => CAPTCHA_ENV_VARIABLES.indexOf(name as CaptchaEnvVariable);
    const problems = errors
      .sort((a, b) => order(a.property) - order(b.property))
      .flatMap((error) => Object.values(error.constraints ?? {}));
    // A typo is often why a variable looks unset: say so next to the error.
    throw new CaptchaConfigError([...problems, ...unknown.map(unknownVariableMessage)]);
  }

  const read = <T>(name: CaptchaEnvVariable, parse: (raw: string) => EnvParseResult<T>) => {
    const raw = env[name];
    if (raw === undefined) return undefined;
    const result = parse(raw);
    // Validation passed, so every set variable parses.
    return result.ok ? result.value : undefined;
  };
  const specs = CAPTCHA_ENV_SPECS;

  const options: CaptchaModuleOptions = {
    provider: read('CAPTCHA_PROVIDER', specs.CAPTCHA_PROVIDER.parse) ?? 'altcha',
    siteKey: read('CAPTCHA_SITE_KEY', specs.CAPTCHA_SITE_KEY.parse),
    secretKey: read('CAPTCHA_SECRET_KEY', specs.CAPTCHA_SECRET_KEY.parse),
    projectId: read('CAPTCHA_PROJECT_ID', specs.CAPTCHA_PROJECT_ID.parse),
    verifyUrl: read('CAPTCHA_VERIFY_URL', specs.CAPTCHA_VERIFY_URL.parse),
    timeoutMs: read('CAPTCHA_TIMEOUT_MS', specs.CAPTCHA_TIMEOUT_MS.parse),
    failureMode: read('CAPTCHA_FAILURE_MODE', specs.CAPTCHA_FAILURE_MODE.parse),
    fallback: fallbackFrom(
      read('CAPTCHA_FALLBACK_PROVIDER', specs.CAPTCHA_FALLBACK_PROVIDER.parse),
      read('CAPTCHA_FALLBACK_METHOD', specs.CAPTCHA_FALLBACK_METHOD.parse),
    ),
    minScore: read('CAPTCHA_MIN_SCORE', specs.CAPTCHA_MIN_SCORE.parse),
    expectedHostnames: read('CAPTCHA_EXPECTED_HOSTNAMES', specs.CAPTCHA_EXPECTED_HOSTNAMES.parse),
    trustProxy: read('CAPTCHA_TRUST_PROXY', specs.CAPTCHA_TRUST_PROXY.parse),
    clientIpHeader: read('CAPTCHA_CLIENT_IP_HEADER', specs.CAPTCHA_CLIENT_IP_HEADER.parse),
    ipv6Prefix: read('CAPTCHA_IPV6_PREFIX', specs.CAPTCHA_IPV6_PREFIX.parse),
    environment: read('CAPTCHA_ENV', specs.CAPTCHA_ENV.parse),
  };
  const hmacKey = read('CAPTCHA_ALTCHA_HMAC_KEY', specs.CAPTCHA_ALTCHA_HMAC_KEY.parse);
  if (hmacKey !== undefined) options.altcha = { hmacKey };
  if (read('CAPTCHA_ALLOW_TEST_KEYS', specs.CAPTCHA_ALLOW_TEST_KEYS.parse) === true) {
    options.allowTestKeys = true;
  }
  const store = read('CAPTCHA_STORE', specs.CAPTCHA_STORE.parse);
  if (store !== undefined) options.store = store;
  if (store === 'redis') {
    // Validation passed, so the URL is set.
    options.redis = { url: read('CAPTCHA_REDIS_URL', specs.CAPTCHA_REDIS_URL.parse) };
  }

  // Leave unset options out, so defaults (and spreads over these options) apply cleanly.
  for (const key of Object.keys(options) as (keyof CaptchaModuleOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}

/** The fallback set by the environment (validation made sure at most one is set). */
function fallbackFrom(
  provider: CaptchaProviderName | undefined,
  method: string | undefined,
): CaptchaFallback | undefined {
  if (provider !== undefined) return { provider };
  if (method !== undefined) return { method };
  return undefined;
}
