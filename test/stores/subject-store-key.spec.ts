import * as hashing from '../../lib/stores/hash-store-key';
import { subjectStoreKey } from '../../lib/stores/subject-store-key';

describe('subjectStoreKey', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is hashStoreKey of the namespace and the subject', () => {
    for (const [namespace, subject] of [
      ['failed:login', '203.0.113.7'],
      ['failed:signup', '203.0.113.7'],
      ['rate:comment', '2001:db8::1'],
      ['failed:login', 'user@example.com'],
    ]) {
      expect(subjectStoreKey(namespace, subject)).toBe(hashing.hashStoreKey(namespace, subject));
    }
    expect(subjectStoreKey('failed:login', '198.51.100.1')).not.toBe(
      subjectStoreKey('failed:signup', '198.51.100.1'),
    );
  });

  it('hashes a subject once, and starts over after 10,000 subjects (bounded memory)', () => {
    const hash = jest.spyOn(hashing, 'hashStoreKey');
    const first = subjectStoreKey('failed:bounded', '192.0.2.1');
    expect(subjectStoreKey('failed:bounded', '192.0.2.1')).toBe(first);
    expect(hash).toHaveBeenCalledTimes(1);

    for (let i = 0; i < 10_000; i++) subjectStoreKey('failed:flood', `10.0.${i >> 8}.${i & 255}`);
    hash.mockClear();
    // The flood filled the memo: it was cleared, so the first subject is hashed again, same key.
    expect(subjectStoreKey('failed:bounded', '192.0.2.1')).toBe(first);
    expect(hash).toHaveBeenCalledTimes(1);
  });
});
