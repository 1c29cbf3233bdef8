import {
  challengePathRule,
  type ConfigRule,
  integerRule,
  maskUrlSecrets,
  verifyUrlRule,
} from './captcha-config-rules';
import { isPlainObject, type ProblemReport } from './config-problem';
import type { CaptchalaErrorMeaning } from './captcha-module-options.interface';

type Report = ProblemReport;

const CAPTCHALA_ERROR_MEANINGS: readonly CaptchalaErrorMeaning[] = [
  'malformed',
  'invalid',
  'expired',
  'duplicate',
  'misconfigured',
  'unavailable',
];

const CAPTCHALA_RULES: Record<string, ConfigRule> = {
  tokenLifetimeSeconds: integerRule(10, 86_400, 'seconds'),
  maxTokenLength: integerRule(64, 65_536, 'characters'),
};

const isObject = isPlainObject;

/** `friendlyCaptchaVersion`: 1 or 2. @internal */
export function checkFriendlyCaptchaVersion(value: unknown, report: Report): void {
  if (value !== undefined && value !== 1 && value !== 2) {
    report('friendlyCaptchaVersion', value, 'is not a Friendly Captcha API version', '1 or 2');
  }
}

/** Checks `captchala`: its flags, URLs, encoding, path, sizes and error-code readings. @internal */
export function checkCaptchala(value: unknown, report: Report): void {
  if (!isObject(value)) {
    report(
      'captchala',
      value,
      'is not an object',
      'an object of CaptchaLa settings, e.g. { acceptDegraded: false }',
    );
    return;
  }
  for (const key of ['acceptDegraded', 'acceptClientTokens'] as const) {
    const flag = value[key];
    if (flag !== undefined && typeof flag !== 'boolean') {
      report(`captchala.${key}`, flag, 'is not a boolean', 'true or false');
    }
  }
  for (const key of ['backupUrl', 'issueUrl'] as const) {
    const url = value[key];
    const problem = url === undefined ? undefined : verifyUrlRule.problem(url);
    if (problem !== undefined) {
      const shown = typeof url === 'string' ? maskUrlSecrets(url) : url;
      report(`captchala.${key}`, shown, problem, verifyUrlRule.accepted);
    }
  }
  const { issueEncoding, challengePath, errorCodes } = value;
  if (issueEncoding !== undefined && issueEncoding !== 'form' && issueEncoding !== 'json') {
    report('captchala.issueEncoding', issueEncoding, 'is not an encoding', "'json' or 'form'");
  }
  if (challengePath !== undefined && challengePath !== false) {
    const problem = challengePathRule.problem(challengePath);
    if (problem !== undefined) {
      report('captchala.challengePath', challengePath, problem, challengePathRule.accepted);
    }
  }
  for (const [key, rule] of Object.entries(CAPTCHALA_RULES)) {
    const problem = value[key] === undefined ? undefined : rule.problem(value[key]);
    if (problem !== undefined) report(`captchala.${key}`, value[key], problem, rule.accepted);
  }
  if (errorCodes !== undefined) {
    const accepted = `an object of CaptchaLa failure codes to one of ${CAPTCHALA_ERROR_MEANINGS.join(', ')}, e.g. { app_disabled: 'misconfigured' }`;
    if (!isObject(errorCodes)) {
      report('captchala.errorCodes', errorCodes, 'is not an object', accepted);
      return;
    }
    for (const [code, meaning] of Object.entries(errorCodes)) {
      if (!(CAPTCHALA_ERROR_MEANINGS as readonly unknown[]).includes(meaning)) {
        report(
          `captchala.errorCodes[${JSON.stringify(code)}]`,
          meaning,
          'is not a meaning',
          accepted,
        );
      }
    }
  }
}
