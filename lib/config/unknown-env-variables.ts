import { CAPTCHA_ENV_VARIABLES } from './captcha-env-variables';
import { didYouMean } from './did-you-mean';

/** A `CAPTCHA_*` variable that nestjs-captcha does not read, and the one it may stand for. @internal */
export interface UnknownCaptchaVariable {
  /** The variable's name as set. */
  name: string;
  /** The known variable it most likely meant (`CAPTCHA_SECRET_KEY` for `CAPTCHA_SECERT_KEY`). */
  suggestion?: string;
}

const PREFIX = /^captcha_/i;

/**
 * The names among `names` that start with `CAPTCHA_` (in any case) but are not variables of the
 * contract, each with a did-you-mean when a known name is close. Only names are looked at,
 * never values.
 * @internal
 */
export function unknownCaptchaVariables(names: Iterable<string>): UnknownCaptchaVariable[] {
  const known: readonly string[] = CAPTCHA_ENV_VARIABLES;
  const suffixes = known.map((name) => name.slice('CAPTCHA_'.length));
  const unknown: UnknownCaptchaVariable[] = [];
  for (const name of new Set(names)) {
    if (!PREFIX.test(name) || known.includes(name)) continue;
    const suffix = didYouMean(name.slice('CAPTCHA_'.length), suffixes);
    unknown.push(suffix === undefined ? { name } : { name, suggestion: `CAPTCHA_${suffix}` });
  }
  return unknown.sort((a, b) => a.name.localeCompare(b.name));
}

/** `CAPTCHA_SECERT_KEY is not a variable nestjs-captcha reads (did you mean CAPTCHA_SECRET_KEY?)`. @internal */
export function unknownVariableMessage(variable: UnknownCaptchaVariable): string {
  return (
    `${variable.name} is set but is not a variable nestjs-captcha reads` +
    (variable.suggestion ? ` (did you mean ${variable.suggestion}?)` : '')
  );
}
