import { describeTestKey, matchTestKey } from '../cli/provider-test-keys';
import { isPlainObject } from './config-problem';
import { type ConfigSource, OPTIONS_SOURCE } from './config-source';

/** What a refused test key line accepts instead. @internal */
export const TEST_KEYS_ACCEPTED =
  'the keys issued for your site, or allowTestKeys: true (CAPTCHA_ALLOW_TEST_KEYS=true) on a staging system that must run with test keys';

/** One configured key: where it is set, and its value (a function secret cannot be checked). */
interface ConfiguredKey {
  /** e.g. `fallback.secretKey`. */
  path: string;
  kind: 'site key' | 'secret';
  value: unknown;
}

const isObject = isPlainObject;

/** Every key of the options: the primary provider's, the fallback's, the step-up's and each named provider's. */
function configuredKeys(given: Record<string, unknown>): ConfiguredKey[] {
  const keys: ConfiguredKey[] = [
    { path: 'siteKey', kind: 'site key', value: given.siteKey },
    { path: 'secretKey', kind: 'secret', value: given.secretKey },
  ];
  if (isObject(given.fallback)) {
    const { siteKey, secretKey } = given.fallback;
    keys.push({ path: 'fallback.siteKey', kind: 'site key', value: siteKey });
    keys.push({ path: 'fallback.secretKey', kind: 'secret', value: secretKey });
  }
  if (isObject(given.stepUp)) {
    const { siteKey, secretKey } = given.stepUp;
    keys.push({ path: 'stepUp.siteKey', kind: 'site key', value: siteKey });
    keys.push({ path: 'stepUp.secretKey', kind: 'secret', value: secretKey });
  }
  if (Array.isArray(given.providers)) {
    given.providers.forEach((entry: unknown, i) => {
      if (!isObject(entry)) return;
      keys.push({
        path: `providers[${i}].siteKey`,
        kind: 'site key',
        value: entry.siteKey,
      });
      keys.push({
        path: `providers[${i}].secretKey`,
        kind: 'secret',
        value: entry.secretKey,
      });
    });
  }
  return keys;
}

/**
 * One problem line per public test key (site key or secret, of any provider) among the primary,
 * fallback and named providers' keys, for production (`signal` says why it is production). The
 * line names where the key is set, whose test key it is and what it does; a secret's value is
 * never shown (a site key's is: it is public anyway). Secrets given as functions are resolved
 * on use and cannot be checked here.
 * @internal
 */
export function testKeyProblems(
  given: Record<string, unknown>,
  signal: string,
  source: ConfigSource,
): string[] {
  const problems: string[] = [];
  for (const key of configuredKeys(given)) {
    const match = matchTestKey(key.kind, key.value);
    if (match === undefined) continue;
    const problem =
      `${describeTestKey(match)}: test keys answer fixed verdicts and protect nothing, ` +
      `so they are refused in production (${signal})`;
    if (source.kind === 'env') {
      problems.push(
        source.line(key.path, key.value, problem, TEST_KEYS_ACCEPTED, key.kind === 'secret'),
      );
      continue;
    }
    // Options: `options.siteKey (CAPTCHA_SITE_KEY) "1x00…" is …`, the site key (public) shown.
    const shown = key.kind === 'site key' ? ` "${String(key.value)}"` : '';
    problems.push(
      `${source.subject(key.path)}${shown} ${problem}; accepted: ${TEST_KEYS_ACCEPTED}`,
    );
  }
  return problems;
}

/** Where the test keys found are set (for the start-up warning when they are allowed). @internal */
export function testKeyPaths(given: Record<string, unknown>): string[] {
  return configuredKeys(given)
    .filter((key) => matchTestKey(key.kind, key.value) !== undefined)
    .map((key) => OPTIONS_SOURCE.subject(key.path));
}
