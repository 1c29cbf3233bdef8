// How a configuration problem is written: one line naming the setting, the value (or that it is
// hidden), the problem and what is accepted.

/** Reports one problem of `options.<path>` (the value is hidden when `secret`). @internal */
export type ProblemReport = (
  path: string,
  value: unknown,
  problem: string,
  accepted: string,
  secret?: boolean,
) => void;

/** A plain object (not an array, not null). @internal */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `parent.key`, or `parent["odd key"]` when the key is not an identifier. @internal */
export const propertyPath = (parent: string, key: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;

/** Shown instead of a secret value, which no message may contain. @internal */
export const HIDDEN_VALUE = 'the value (hidden)';

const MAX_SHOWN_LENGTH = 80;

/**
 * One line of a {@link CaptchaConfigError}: `NAME: "value" problem; accepted: …`, with the value
 * replaced by {@link HIDDEN_VALUE} when it is secret.
 * @internal
 */
export function problemLine(
  name: string,
  value: unknown,
  problem: string,
  accepted: string,
  secret = false,
): string {
  return `${name}: ${secret ? HIDDEN_VALUE : showValue(value)} ${problem}; accepted: ${accepted}`;
}

/**
 * A value as it appears in a message: strings quoted and escaped (so a message stays one line),
 * long values cut short, functions and objects described rather than printed.
 * @internal
 */
export function showValue(value: unknown): string {
  if (typeof value === 'string') {
    const cut = value.length > MAX_SHOWN_LENGTH ? `${value.slice(0, MAX_SHOWN_LENGTH)}…` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) {
    const items = value.map((item) =>
      typeof item === 'object' && item !== null ? '…' : showValue(item),
    );
    const text = `[${items.join(', ')}]`;
    return text.length > MAX_SHOWN_LENGTH * 2 ? 'an array' : text;
  }
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
