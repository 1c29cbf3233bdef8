/** Shortest ALTCHA HMAC key accepted, everywhere (start-up, `doctor`, docs): 32 characters. @internal */
export const MIN_HMAC_KEY_LENGTH = 32;

/** Least estimated entropy (bits) of a production HMAC key, after placeholders are taken out. */
const MIN_ESTIMATED_BITS = 64;

/**
 * Words of placeholder and example keys (`changeme`, `secret`, `altcha-hmac-key…`), matched
 * case-insensitively and through common letter/digit swaps (`p4ssw0rd`). Only words of 3+
 * letters: shorter ones turn up by chance in random keys.
 */
const PLACEHOLDER_WORDS = [
  'changeme',
  'change',
  'replace',
  'please',
  'placeholder',
  'default',
  'example',
  'sample',
  'secret',
  'password',
  'passwd',
  'pass',
  'altcha',
  'hmac',
  'key',
  'captcha',
  'nestjs',
  'test',
  'testing',
  'dummy',
  'demo',
  'dev',
  'development',
  'staging',
  'prod',
  'production',
  'local',
  'localhost',
  'admin',
  'root',
  'qwerty',
  'azerty',
  'asdf',
  'zxcv',
  'letmein',
  'welcome',
  'token',
  'todo',
  'fixme',
  'foo',
  'bar',
  'baz',
  'lorem',
  'ipsum',
  'insecure',
  'unsafe',
  'your',
  'mine',
  'here',
  'this',
  'that',
  'random',
  'string',
  'value',
  'signing',
  'sign',
  'app',
  'api',
  'the',
].sort((a, b) => b.length - a.length);

const SWAPS: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
  '!': 'i',
};

/** The shortest period `p <= length / 2` such that the key is one chunk repeated, if any. */
function repeatPeriod(key: string): number | undefined {
  for (let p = 1; p <= key.length / 2; p++) {
    let repeats = true;
    for (let i = p; i < key.length && repeats; i++) repeats = key[i] === key[i - p];
    if (repeats) return p;
  }
  return undefined;
}

/** Marks runs of 3+ characters counting up or down by one (`abc`, `6543`) or repeating (`aaa`). */
function markRuns(key: string, removed: boolean[]): void {
  for (const step of [1, -1, 0]) {
    let start = 0;
    for (let i = 1; i <= key.length; i++) {
      const continues = i < key.length && key.charCodeAt(i) - key.charCodeAt(i - 1) === step;
      if (continues) continue;
      if (i - start >= 3) for (let j = start; j < i; j++) removed[j] = true;
      start = i;
    }
  }
}

/** Marks placeholder words, matched on the lower-cased key with letter/digit swaps undone. */
function markWords(key: string, removed: boolean[]): void {
  const plain = [...key.toLowerCase()].map((char) => SWAPS[char] ?? char).join('');
  for (const word of PLACEHOLDER_WORDS) {
    for (let at = plain.indexOf(word); at !== -1; at = plain.indexOf(word, at + 1)) {
      for (let j = at; j < at + word.length; j++) removed[j] = true;
    }
  }
}

/** Shannon entropy of the characters' frequencies, times their number: a generous estimate. */
function estimatedBits(chars: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/**
 * Why an ALTCHA HMAC key is too weak to sign challenges in production, or `undefined` when it
 * looks random. The answer never quotes the key. A key is weak when it repeats a short chunk
 * (`aaaa…`, `abcabc…`), or when, once placeholder words (`changeme`, `secret`, `password`,
 * `altcha-hmac-key`, …), runs (`abcd`, `4321`, `xxx`) are taken out, what is left carries less
 * than 64 bits by character frequency. Random keys of 32+ characters (`openssl rand -hex 32`,
 * base64 of 24+ random bytes) pass with a wide margin; this is a tripwire for placeholders left
 * in, not a proof of randomness.
 * @internal
 */
export function hmacKeyWeakness(key: string): string | undefined {
  if (repeatPeriod(key) !== undefined) return 'it repeats a short pattern';
  const removed = new Array<boolean>(key.length).fill(false);
  markWords(key, removed);
  markRuns(key, removed);
  const left = [...key].filter((_, i) => !removed[i]);
  const bits = estimatedBits(left);
  if (bits >= MIN_ESTIMATED_BITS) return undefined;
  const placeholders = removed.filter(Boolean).length;
  return placeholders * 2 >= key.length
    ? 'it is mostly placeholder words or character runs (changeme, secret, password, abcd, 1234, …)'
    : `it has too little variety (about ${Math.floor(bits)} bits estimated, at least ${MIN_ESTIMATED_BITS} needed)`;
}
