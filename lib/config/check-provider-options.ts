import type { CaptchaProviderName } from '../providers/captcha-provider-name';
import {
  challengePathRule,
  type ConfigRule,
  integerRule,
  isPlainObject,
  maskUrlSecrets,
  type ProblemReport,
  projectIdRule,
  verifyUrlRule,
} from './captcha-config-rules';
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

/**
 * Checks the options only some providers read: `projectId` (required when reCAPTCHA Enterprise is
 * the provider or the fallback provider, which shares it), `friendlyCaptchaVersion` and
 * `captchala`. Problems of a value go through `report`; a missing required value is pushed to
 * `problems` as a whole line, as the other cross-field rules are.
 */
export function checkProviderOptions(
  given: Record<string, unknown>,
  providers: { provider: unknown; fallbackProvider?: CaptchaProviderName },
  report: Report,
  problems: string[],
): void {
  const { projectId, friendlyCaptchaVersion, captchala } = given;
  if (projectId !== undefined) {
    const problem = projectIdRule.problem(projectId);
    if (problem !== undefined) report('projectId', projectId, problem, projectIdRule.accepted);
  } else if (
    providers.provider === 'recaptcha-enterprise' ||
    providers.fallbackProvider === 'recaptcha-enterprise'
  ) {
    const who =
      providers.provider === 'recaptcha-enterprise'
        ? 'provider "recaptcha-enterprise"'
        : 'fallback provider "recaptcha-enterprise" (it shares options.projectId)';
    problems.push(
      `options.projectId (CAPTCHA_PROJECT_ID) is required for ${who}; accepted: ${projectIdRule.accepted}`,
    );
  }
  if (
    friendlyCaptchaVersion !== undefined &&
    friendlyCaptchaVersion !== 1 &&
    friendlyCaptchaVersion !== 2
  ) {
    report(
      'friendlyCaptchaVersion',
      friendlyCaptchaVersion,
      'is not a Friendly Captcha API version',
      '1 or 2',
    );
  }
  if (captchala !== undefined) checkCaptchala(captchala, report);
}

/** Checks `captchala`: its flags, URLs, encoding, path, sizes and error-code readings. */
function checkCaptchala(value: unknown, report: Report): void {
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
