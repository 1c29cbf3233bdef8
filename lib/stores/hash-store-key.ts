import { createHash } from 'node:crypto';

/**
 * Builds a store key: a readable namespace and a hash of the parts that identify the subject
 * (a token, an IP, an e-mail), so neither tokens nor personal data are ever stored in clear.
 *
 * @example hashStoreKey('claim', 'turnstile', token) // 'claim:5f1c…'
 */
export function hashStoreKey(namespace: string, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('base64url');
  return `${namespace}:${digest}`;
}
