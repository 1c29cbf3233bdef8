/** Reading a CAPTCHA answer off a response, and the challenge it asks for. */
import { CAPTCHA_ERROR_CODES, type CaptchaErrorBody } from '../contracts/captcha-error-body.js';
import {
  RECAPTCHA_V2_STEP_UP,
  type CaptchaProviderName,
} from '../contracts/captcha-provider-name.js';
import type { CaptchaChallenge } from './captcha-client-types.js';

const ERROR_CODES: readonly string[] = CAPTCHA_ERROR_CODES;

/**
 * The CAPTCHA answer in a response (`captcha_required`, `captcha_invalid` or
 * `captcha_unavailable`), or `null` when it is something else. Reads a clone: the response's own
 * body stays unread.
 * @public
 */
export async function readCaptchaError(response: Response): Promise<CaptchaErrorBody | null> {
  if (response.ok) return null;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return null;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return null;
  }
  if (!isRecord(body) || typeof body.error !== 'string' || !ERROR_CODES.includes(body.error)) {
    return null;
  }
  if (!isRecord(body.details)) return null;
  return body as unknown as CaptchaErrorBody;
}

/**
 * The challenge a `captcha_required` / `captcha_invalid` body asks for; `challenge_url` resolved
 * against the request's URL.
 * @internal
 */
export function toChallenge(
  body: CaptchaErrorBody,
  status: number,
  attempt: number,
  requestUrl: string,
): CaptchaChallenge {
  const { details } = body;
  const provider = details.provider as CaptchaProviderName;
  return {
    code: body.error as CaptchaChallenge['code'],
    provider,
    siteKey: typeof details.site_key === 'string' ? details.site_key : null,
    action: typeof details.action === 'string' ? details.action : null,
    challengeUrl:
      typeof details.challenge_url === 'string'
        ? new URL(details.challenge_url, requestUrl).href
        : null,
    reason: typeof details.reason === 'string' ? details.reason : null,
    stepUp: details.step_up === true,
    recaptchaMode:
      provider === 'recaptcha' && details.recaptcha_mode === 'checkbox' ? 'checkbox' : null,
    answerAs:
      provider === 'recaptcha' && details.answer_as === RECAPTCHA_V2_STEP_UP
        ? RECAPTCHA_V2_STEP_UP
        : provider,
    message: typeof body.message === 'string' ? body.message : '',
    status,
    attempt,
    body,
  };
}

/** @internal */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
