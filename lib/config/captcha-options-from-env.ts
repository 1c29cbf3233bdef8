import { Logger } from '@nestjs/common';
import { splitList } from './captcha-config-rules';
import { HIDDEN_VALUE, problemLine } from './config-problem';
import { CaptchaConfigError } from './captcha-config.error';
import {
  CAPTCHA_ENV_SPECS,
  CAPTCHA_ENV_VARIABLES,
  type CaptchaEnvVariable,
  type EnvVariableSpec,
} from './captcha-env-variables';
import type { CaptchaModuleOptions } from './captcha-module-options.interface';
import { checkCaptchaOptions } from './captcha-option-rules';
import { envSource } from './config-source';
import { productionSignal } from './production-environment';
import { unknownCaptchaVariables, unknownVariableMessage } from './unknown-env-variables';

/** Anything that reads configuration values by name; `ConfigService` from `@nestjs/config` fits. @public */
export interface CaptchaConfigReader {
  get(key: string): unknown;
}

/** Settings of {@link captchaOptionsFromEnv}. @public */
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
 * | `CAPTCHA_STEP_UP_PROVIDER` | `stepUp: { provider }` (an interactive provider other than `CAPTCHA_PROVIDER`: `recaptcha`, `hcaptcha`, `turnstile`, `altcha`, `recaptcha-v2` beside a `recaptcha` v3 provider) |
 * | `CAPTCHA_STEP_UP_SITE_KEY` / `CAPTCHA_STEP_UP_SECRET_KEY` | `stepUp: { siteKey, secretKey }` (required except for `altcha`) |
 * | `CAPTCHA_CLEARANCE_TTL` | `clearance: { ttlSeconds }` (1–86400; clearances are off unless set) |
 * | `CAPTCHA_CLEARANCE_USES` | `clearance: { uses }` (1–1000; default 5) |
 * | `CAPTCHA_CLEARANCE_KEY` | `clearance: { key }` (32+ random characters; required in production) |
 * | `CAPTCHA_CLEARANCE_ACTIONS` | `clearance: { actions }` (comma-separated; default: the action a clearance was earned on) |
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
 * @public
 */
export function captchaOptionsFromEnv(
  config: CaptchaConfigReader,
  settings: CaptchaOptionsFromEnvSettings = {},
): CaptchaModuleOptions {
  // Names only: a typo'd variable is never read, so a value it holds cannot leak from here.
  const unknown = unknownCaptchaVariables(settings.variableNames ?? Object.keys(process.env));
  const logger = settings.logger ?? new Logger('CaptchaModule');
  if (logger !== false) {
    for (const variable of unknown) logger.warn(unknownVariableMessage(variable));
  }

  const raw: Partial<Record<CaptchaEnvVariable, string>> = {};
  const parsed: Record<string, unknown> = {};
  const unparsed = new Set<string>();
  const problems: string[] = [];
  for (const name of CAPTCHA_ENV_VARIABLES) {
    const value = normalizeEnvValue(config.get(name));
    if (value === undefined) continue;
    const spec: EnvVariableSpec = CAPTCHA_ENV_SPECS[name];
    const problem = parseProblem(name, spec, value);
    if (typeof value === 'string') raw[name] = value;
    if (problem === undefined) {
      setPath(parsed, spec.path, spec.parse ? valueOf(spec.parse(value as string)) : value);
      continue;
    }
    // Still set for the other rules (a blank CAPTCHA_PROVIDER is not "unset"), judged here only.
    setPath(parsed, spec.path, value);
    unparsed.add(name);
    problems.push(problem);
  }

  const nodeEnv = normalizeEnvValue(config.get('NODE_ENV'));
  const production = productionSignal({ captchaEnv: raw.CAPTCHA_ENV, nodeEnv });
  for (const line of checkCaptchaOptions(parsed, production, envSource(raw))) {
    // A variable refused above is judged once: rules naming it would only echo that.
    if (![...unparsed].some((name) => new RegExp(`\\b${name}\\b`).test(line))) problems.push(line);
  }
  if (problems.length > 0) {
    const order = (line: string) => {
      const index = CAPTCHA_ENV_VARIABLES.findIndex((name) => line.startsWith(name));
      return index === -1 ? CAPTCHA_ENV_VARIABLES.length : index;
    };
    problems.sort((a, b) => order(a) - order(b));
    // A typo is often why a variable looks unset: say so next to the error.
    throw new CaptchaConfigError([...problems, ...unknown.map(unknownVariableMessage)]);
  }
  return optionsFrom(parsed);
}

/** The options as the application gets them: defaults apart, only what the variables set. */
function optionsFrom(parsed: Record<string, unknown>): CaptchaModuleOptions {
  const options = { provider: 'altcha', ...parsed } as CaptchaModuleOptions &
    Record<string, unknown>;
  // A CAPTCHA_REDIS_URL without CAPTCHA_STORE=redis is checked, not used.
  if (options.store !== 'redis') delete options.redis;
  if (typeof options.trustProxy === 'string') options.trustProxy = splitList(options.trustProxy);
  options.expectedHostnames &&= options.expectedHostnames.map((host) => host.toLowerCase());
  if (options.clientIpHeader !== undefined) {
    options.clientIpHeader = options.clientIpHeader.toLowerCase() as typeof options.clientIpHeader;
  }
  if (options.allowTestKeys !== true) delete options.allowTestKeys;
  return options;
}

/** What is wrong with the text of a variable (blank, not text, not parseable), if anything. */
function parseProblem(name: string, spec: EnvVariableSpec, value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return `${name}: ${spec.secret === true ? HIDDEN_VALUE : 'the value'} is not text; accepted: a string`;
  }
  if (value === '') {
    return `${name}: is set but blank, which is not the same as unset: give it a value or remove it; accepted: ${spec.accepted}`;
  }
  const result = spec.parse?.(value);
  if (result === undefined || result.ok) return undefined;
  const secret = typeof spec.secret === 'function' ? spec.secret(value) : spec.secret;
  return problemLine(
    name,
    spec.show ? spec.show(value) : value,
    result.problem,
    result.accepted,
    secret,
  );
}

function valueOf(result: ReturnType<NonNullable<EnvVariableSpec['parse']>>): unknown {
  return result.ok ? result.value : undefined;
}

/** Sets `path` (`altcha.hmacKey`) in `target`, creating the objects on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
}

/**
 * Trimmed text; absent values are `undefined` (unset). A blank value (empty or whitespace only)
 * stays `''`, which is refused: `CAPTCHA_SECRET_KEY=` is a mistake (an unset shell variable in a
 * compose file, a half-filled .env), not a request for the default.
 */
function normalizeEnvValue(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return typeof value === 'string' ? value.trim() : value;
}
