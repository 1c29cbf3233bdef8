import { hashStoreKey } from './hash-store-key';

/** Subjects whose keys are kept at most; past it the memo starts over. */
const MAX_SUBJECTS = 10_000;

/** Store keys by namespace, then subject. */
const memo = new Map<string, Map<string, string>>();
let size = 0;

/**
 * {@link hashStoreKey} of a subject (an IP, a user id, an e-mail), memoized: the same subjects
 * come back request after request. Bounded: past {@link MAX_SUBJECTS} the memo is cleared, so a
 * flood of distinct subjects costs at most that many entries. Never for tokens (each comes once).
 * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#memoised-subject-keys
 *
 * @internal
 */
export function subjectStoreKey(namespace: string, subject: string): string {
  let keys = memo.get(namespace);
  if (keys === undefined) memo.set(namespace, (keys = new Map()));
  let key = keys.get(subject);
  if (key === undefined) {
    key = hashStoreKey(namespace, subject);
    if (size >= MAX_SUBJECTS) {
      memo.clear();
      memo.set(namespace, (keys = new Map()));
      size = 0;
    }
    keys.set(subject, key);
    size += 1;
  }
  return key;
}
