import * as crypto from 'node:crypto';

/**
 * One-shot hashing where Node has it (≥ 20.12).
 * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#memoised-subject-keys
 */
const sha256: (data: string) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'base64url')
    : (data) => crypto.createHash('sha256').update(data).digest('base64url');

/**
 * Builds a store key: a readable namespace and a hash of the parts that identify the subject
 * (a token, an IP, an e-mail), so neither tokens nor personal data are ever stored in clear.
 *
 * @example hashStoreKey('claim', 'turnstile', token) // 'claim:5f1c…'
 *
 * @public
 */
export function hashStoreKey(namespace: string, ...parts: string[]): string {
  return `${namespace}:${sha256(parts.join('\u0000'))}`;
}
