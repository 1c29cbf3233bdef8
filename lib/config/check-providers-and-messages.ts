import { CAPTCHA_MESSAGES } from '../errors/captcha-messages';
import type { CaptchaProviderName } from '../contracts/captcha-provider-name';
import { didYouMeanHint } from './did-you-mean';
import {
  isSupportedProvider,
  maskUrlSecrets,
  providerRule,
  secretKeyRule,
  siteKeyRule,
  verifyUrlRule,
} from './captcha-config-rules';
import { isPlainObject, type ProblemReport, propertyPath } from './config-problem';

const PROVIDERS_ACCEPTED =
  "an array of { provider, siteKey, secretKey, verifyUrl? }, one per provider other than options.provider, e.g. [{ provider: 'recaptcha', siteKey, secretKey }]";

/**
 * Checks `providers`, the providers registered beside the primary one: each entry names a
 * supported provider once, other than `options.provider` and the fallback provider (a route
 * picking that name would get the other one, so the entry would be ignored silently), with its
 * keys (unless it is ALTCHA) and an optional verify URL, shown masked. Test keys are checked with
 * the other keys (`check-test-keys.ts`). Problems of a value go through `report`; a missing key
 * is pushed to `problems` as a whole line, as the other required settings are. @internal
 */
export function checkNamedProviders(
  value: unknown,
  registered: { provider: unknown; fallbackProvider?: CaptchaProviderName },
  report: ProblemReport,
  problems: string[],
): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    report('providers', value, 'is not an array', PROVIDERS_ACCEPTED);
    return;
  }
  const seen = new Map<unknown, number>();
  value.forEach((entry: unknown, i) => {
    const path = `providers[${i}]`;
    if (!isPlainObject(entry)) {
      report(path, entry, 'is not an object', PROVIDERS_ACCEPTED);
      return;
    }
    const { provider, verifyUrl } = entry;
    const problem = providerRule.problem(provider);
    if (problem !== undefined) report(`${path}.provider`, provider, problem, providerRule.accepted);
    else if (provider === registered.provider) {
      report(`${path}.provider`, provider, 'is the same as options.provider', PROVIDERS_ACCEPTED);
    } else if (provider === registered.fallbackProvider) {
      report(
        `${path}.provider`,
        provider,
        'is the fallback provider already (options.fallback.provider)',
        PROVIDERS_ACCEPTED,
      );
    } else if (seen.has(provider)) {
      report(
        `${path}.provider`,
        provider,
        `is registered twice (also options.providers[${seen.get(provider)}])`,
        PROVIDERS_ACCEPTED,
      );
    }
    if (!seen.has(provider)) seen.set(provider, i);
    checkKeys(path, entry, provider, report, problems);
    if (verifyUrl !== undefined) {
      const urlProblem = verifyUrlRule.problem(verifyUrl);
      // URLs are echoed masked, like every URL (a query may hold an API key).
      const shown = typeof verifyUrl === 'string' ? maskUrlSecrets(verifyUrl) : verifyUrl;
      if (urlProblem !== undefined) {
        report(`${path}.verifyUrl`, shown, urlProblem, verifyUrlRule.accepted);
      }
    }
  });
}

/** The keys of one named provider: checked when set, required unless it is ALTCHA. */
function checkKeys(
  path: string,
  entry: Record<string, unknown>,
  provider: unknown,
  report: ProblemReport,
  problems: string[],
): void {
  const needsKeys = isSupportedProvider(provider) && provider !== 'altcha';
  const { siteKey, secretKey } = entry;
  if (siteKey !== undefined) {
    const problem = siteKeyRule.problem(siteKey);
    if (problem !== undefined) report(`${path}.siteKey`, siteKey, problem, siteKeyRule.accepted);
  } else if (needsKeys) {
    problems.push(
      `options.${path}.siteKey: not set, but provider "${provider}" requires it; accepted: the site key issued by ${provider}`,
    );
  }
  if (secretKey !== undefined && typeof secretKey !== 'function') {
    const problem =
      typeof secretKey === 'string'
        ? secretKeyRule.problem(secretKey)
        : 'is not a string or a function';
    if (problem !== undefined) {
      report(
        `${path}.secretKey`,
        secretKey,
        problem,
        `${secretKeyRule.accepted}, or a function returning it`,
        true,
      );
    }
  } else if (secretKey === undefined && needsKeys) {
    problems.push(
      `options.${path}.secretKey: not set, but provider "${provider}" requires it; ` +
        `accepted: the secret key issued by ${provider}, as a string or a function returning it`,
    );
  }
}

/** The codes whose messages can be overridden. */
const MESSAGE_CODES = Object.keys(CAPTCHA_MESSAGES.en);

/**
 * A language tag as `Accept-Language` is matched against it: in lower case (the header is
 * lower-cased before the lookup, so `pt-BR` would never be chosen).
 */
const LANGUAGE_TAG = /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/;

const MESSAGES_ACCEPTED =
  "an object of lower-case language tags to messages, e.g. { de: { captcha_required: '…' }, 'pt-br': { … } }";
const MESSAGE_SET_ACCEPTED = `an object of ${MESSAGE_CODES.join(', ')} to their text`;

/**
 * Checks `messages`, the per-language overrides of the three answers' messages: lower-case
 * language tags, each mapping the three codes to non-empty text. @internal
 */
export function checkMessages(value: unknown, report: ProblemReport): void {
  if (value === undefined) return;
  if (!isPlainObject(value)) {
    report('messages', value, 'is not an object', MESSAGES_ACCEPTED);
    return;
  }
  for (const [language, set] of Object.entries(value)) {
    if (!LANGUAGE_TAG.test(language)) {
      const lower = language.toLowerCase();
      const hint = LANGUAGE_TAG.test(lower) ? ` (did you mean "${lower}"?)` : '';
      report('messages', language, `is not a lower-case language tag${hint}`, MESSAGES_ACCEPTED);
      continue;
    }
    const path = propertyPath('messages', language);
    if (!isPlainObject(set)) {
      report(path, set, 'is not an object', MESSAGE_SET_ACCEPTED);
      continue;
    }
    for (const [code, text] of Object.entries(set)) {
      if (!MESSAGE_CODES.includes(code)) {
        report(
          path,
          code,
          `is not a message code${didYouMeanHint(code, MESSAGE_CODES)}`,
          MESSAGE_CODES.join(', '),
        );
      } else if (typeof text !== 'string') {
        report(`${path}.${code}`, text, 'is not a string', 'the text shown to the user');
      } else if (text.trim() === '') {
        report(`${path}.${code}`, text, 'is blank', 'the text shown to the user');
      }
    }
  }
}
