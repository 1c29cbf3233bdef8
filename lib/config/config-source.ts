import { problemLine } from './config-problem';
import {
  CAPTCHA_ENV_SPECS,
  CAPTCHA_ENV_VARIABLES,
  type CaptchaEnvVariable,
  type EnvVariableSpec,
} from './captcha-env-variables';

/**
 * Where the options being checked came from, and so how a problem names a setting: the rules
 * (`captcha-option-rules.ts`) are written once, and say `options.secretKey` or
 * `CAPTCHA_SECRET_KEY` through this. @internal
 */
export interface ConfigSource {
  /** `options`: written by hand (or built from the environment, then completed by code). */
  readonly kind: 'options' | 'env';
  /** The setting at `path` in a problem about its value: `options.timeoutMs` / `CAPTCHA_TIMEOUT_MS`. */
  name(path: string): string;
  /**
   * The setting at `path` as the subject of a rule between settings: `options.projectId
   * (CAPTCHA_PROJECT_ID)` / `CAPTCHA_PROJECT_ID`.
   */
  subject(path: string): string;
  /** One problem line about the value at `path` (shown as the operator wrote it). */
  line(path: string, value: unknown, problem: string, accepted: string, secret?: boolean): string;
}

/** The variables setting `path` or a setting under it (`fallback` → both fallback variables). */
function variablesOf(path: string): CaptchaEnvVariable[] {
  const exact = CAPTCHA_ENV_VARIABLES.filter((name) => CAPTCHA_ENV_SPECS[name].path === path);
  if (exact.length > 0) return exact;
  return CAPTCHA_ENV_VARIABLES.filter((name) =>
    CAPTCHA_ENV_SPECS[name].path.startsWith(`${path}.`),
  );
}

/** The variable whose option holds `path` (`expectedHostnames[1]` → `CAPTCHA_EXPECTED_HOSTNAMES`). */
function variableHolding(path: string): CaptchaEnvVariable | undefined {
  return CAPTCHA_ENV_VARIABLES.find((name) => {
    const option = CAPTCHA_ENV_SPECS[name].path;
    return path === option || path.startsWith(`${option}[`) || path.startsWith(`${option}.`);
  });
}

/** Options written in code: `options.<path>`, with the variable where one sets it. @internal */
export const OPTIONS_SOURCE: ConfigSource = {
  kind: 'options',
  name: (path) => `options.${path}`,
  subject: (path) => {
    const variables = variablesOf(path);
    return variables.length === 0
      ? `options.${path}`
      : `options.${path} (${variables.join(' or ')})`;
  },
  line: (path, value, problem, accepted, secret) =>
    problemLine(`options.${path}`, value, problem, accepted, secret),
};

/**
 * Options built from environment variables: each setting is named by its variable and its value
 * shown as the variable held it (`"/129"`, not `129`; masked or hidden as its spec says).
 * @internal
 */
export function envSource(raw: Partial<Record<CaptchaEnvVariable, string>>): ConfigSource {
  const name = (path: string) => variableHolding(path) ?? `options.${path}`;
  return {
    kind: 'env',
    name,
    subject: (path) => variablesOf(path).join(' or ') || `options.${path}`,
    line: (path, value, problem, accepted, secret = false) => {
      const variable = variableHolding(path);
      const text = variable === undefined ? undefined : raw[variable];
      if (variable === undefined || text === undefined) {
        return problemLine(name(path), value, problem, accepted, secret);
      }
      const spec: EnvVariableSpec = CAPTCHA_ENV_SPECS[variable];
      const exact = spec.path === path;
      const hidden =
        secret || (typeof spec.secret === 'function' ? spec.secret(text) : spec.secret === true);
      const shown = !exact ? value : spec.show ? spec.show(text) : text;
      return problemLine(variable, shown, problem, accepted, hidden);
    },
  };
}
