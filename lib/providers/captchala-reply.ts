import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { ProviderReply } from './captcha-provider.interface';
import { type ErrorCodeMeaning, reasonFromErrorCodes } from './error-code-map';
import type { ProviderHttpResponse } from './provider-http-client';
import {
  finiteNumber,
  hostOfUrl,
  invertRiskScore,
  isClientErrorStatus,
  isRecord,
  unreadableReply,
} from './reply-fields';

// Reading CaptchaLa's answers (validation envelope, degraded replies, refused keys).

const NAME = 'captchala';

/**
 * Failure codes (`data.error` or `msg`) read in our vocabulary. CaptchaLa publishes no list; these
 * are the ones a third-party integration treats as the user's.
 *
 * @internal
 */
export const CAPTCHALA_ERROR_CODES: Record<string, ErrorCodeMeaning> = {
  token_expired: 'expired',
  challenge_expired: 'expired',
  token_already_used: 'duplicate',
  token_not_found: 'invalid',
  challenge_not_found: 'invalid',
  invalid_answer: 'invalid',
};

/**
 * CaptchaLa's `{code, data}` envelope read as a reply: a pass, a degraded reply, a refusal in our
 * vocabulary (`meanings` maps CaptchaLa's codes), or an outage thrown.
 *
 * @internal
 */
export function readCaptchalaValidation(
  response: ProviderHttpResponse,
  meanings: Record<string, ErrorCodeMeaning>,
  acceptDegraded: boolean,
): ProviderReply {
  const { status, latencyMs } = response;
  refuseRejectedKeys(response);
  const body = response.json;
  if (!isRecord(body) || typeof body.code !== 'number') {
    throw unreadableReply(NAME, response, 'without a readable {code, data} envelope');
  }
  const ok = status >= 200 && status <= 299;
  const data = isRecord(body.data) ? body.data : undefined;
  if (ok && data?.degraded === true) return readDegraded(data, status, acceptDegraded);
  if (ok && body.code === 0) {
    if (typeof data?.valid !== 'boolean') {
      throw unreadableReply(NAME, response, 'without data.valid');
    }
    if (data.valid) {
      return {
        action: readAction(data) ?? '',
        success: true,
        errorCodes: [],
        httpStatus: status,
        ...readPassFields(data),
      };
    }
  }
  const error =
    typeof data?.error === 'string' && data.error !== ''
      ? data.error
      : body.code !== 0 && typeof body.msg === 'string' && body.msg !== ''
        ? body.msg
        : undefined;
  const errorCodes = error ? [error] : body.code !== 0 ? [`code_${body.code}`] : [];
  // A refusal envelope on a 4xx is CaptchaLa's verdict on this request, which the client's token
  // decides (junk `offline_` tokens at the backup URL): read like one, never as an outage that
  // would count against a circuit. Anything else on a non-2xx (a pass, an empty refusal, a
  // 3xx) is not a verdict we can read.
  const refused = body.code !== 0 || data?.valid === false;
  if (!ok && !(isClientErrorStatus(status) && refused)) {
    throw new CaptchaUnavailableError(
      NAME,
      isClientErrorStatus(status) ? 'misconfigured' : 'bad_response',
      `${NAME} answered HTTP ${status}${errorCodes.length ? `: ${errorCodes.join(', ')}` : ''}` +
        ' without a verdict we can read — check captchala.backupUrl, CAPTCHA_VERIFY_URL and any proxy',
      { status, errorCodes, latencyMs },
    );
  }
  return {
    success: false,
    errorCodes,
    httpStatus: status,
    reason: reasonFromErrorCodes(
      NAME,
      errorCodes,
      meanings,
      'check CAPTCHA_SITE_KEY (the app key) and CAPTCHA_SECRET_KEY (the app secret)',
    ),
  };
}

/**
 * A degraded answer: a reply marked `degraded: true` when `captchala.acceptDegraded` (the
 * verifier judges it and applies the caller's policy), else refused as kind `degraded`.
 */
function readDegraded(
  data: Record<string, unknown>,
  status: number,
  acceptDegraded: boolean,
): ProviderReply {
  const errorCodes = ['degraded', ...(typeof data.reason === 'string' ? [data.reason] : [])];
  if (acceptDegraded) {
    return {
      action: readAction(data),
      success: true,
      degraded: true,
      errorCodes,
      httpStatus: status,
      ...readPassFields(data),
    };
  }
  // The client chose the `dg_` prefix: an outage of this request only, not of the provider.
  throw new CaptchaUnavailableError(
    NAME,
    'degraded',
    `${NAME} is degraded (${errorCodes.join(': ')}) and could not verify the token; ` +
      'captchala.acceptDegraded accepts such tokens on fail-open routes',
    { status, errorCodes },
  );
}

/**
 * HTTP 401/403: our app key or secret is refused.
 *
 * @internal
 */
export function refuseRejectedKeys(response: ProviderHttpResponse): void {
  if (response.status !== 401 && response.status !== 403) return;
  const body = isRecord(response.json) ? response.json : {};
  const msg =
    typeof body.msg === 'string' && body.msg !== '' ? body.msg : `HTTP_${response.status}`;
  throw new CaptchaUnavailableError(
    NAME,
    'misconfigured',
    `app key or secret rejected by ${NAME}: HTTP ${response.status} ${msg} — ` +
      'check CAPTCHA_SITE_KEY (the app key) and CAPTCHA_SECRET_KEY (the app secret)',
    { status: response.status, errorCodes: [msg], latencyMs: response.latencyMs },
  );
}

/** `data.action`, `null` and absent alike as `undefined`. */
function readAction(data: Record<string, unknown>): string | undefined {
  return typeof data.action === 'string' ? data.action : undefined;
}

/**
 * Score, hostname and challenge time from `data.captcha_args` (an older docs revision put these
 * fields in `data` itself, so that is read when `captcha_args` is absent).
 */
function readPassFields(
  data: Record<string, unknown>,
): Pick<ProviderReply, 'score' | 'hostname' | 'challengeTs'> {
  const args = isRecord(data.captcha_args) ? data.captcha_args : data;
  const risk = finiteNumber(args.risk_score);
  const solvedAt = finiteNumber(args.solved_at);
  return {
    score: risk === undefined ? undefined : invertRiskScore(risk / 100),
    hostname: hostOfUrl(args.referer),
    challengeTs: solvedAt === undefined ? undefined : new Date(solvedAt * 1000),
  };
}
