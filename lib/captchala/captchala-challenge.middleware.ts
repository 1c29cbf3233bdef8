import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendNoStoreJson } from '../http/send-no-store-json';
import { CaptchaVerifier } from '../verification/captcha-verifier.service';

/** An action name as reCAPTCHA-style providers take them: letters, digits, `_`, `/`, `-`. */
const ACTION = /^[A-Za-z0-9_/-]{1,64}$/;

/**
 * Serves a fresh CaptchaLa server token on `GET {captchala.challengePath}?action=login`, answering
 * `{ serverToken, expiresIn, issuedAt }` for the browser SDK to start a challenge with. Off unless
 * `captchala.challengePath` is set: every call spends CaptchaLa quota, so put a rate limit in
 * front of it. A middleware on the raw Node response, like ALTCHA's challenge route, so the path
 * can come from options and it works on Express and Fastify.
 *
 * @internal
 */
@Injectable()
export class CaptchalaChallengeMiddleware implements NestMiddleware<
  IncomingMessage,
  ServerResponse
> {
  private readonly logger = new Logger('CaptchaCaptchalaChallenge');

  constructor(private readonly verifier: CaptchaVerifier) {}

  async use(request: IncomingMessage, response: ServerResponse, next: () => void): Promise<void> {
    if (request.method !== 'GET') return next();
    const action = new URL(request.url ?? '/', 'http://localhost').searchParams.get('action');
    if (action === null || !ACTION.test(action)) {
      sendNoStoreJson(response, 400, {
        statusCode: 400,
        error: 'bad_request',
        message:
          'Query parameter "action" is required: up to 64 letters, digits, "_", "/" and "-".',
      });
      return;
    }
    try {
      sendNoStoreJson(response, 200, await this.verifier.issueChallenge({ action }));
    } catch (error) {
      this.logger.error({
        event: 'captcha.challenge_failed',
        provider: 'captchala',
        cause: (error as Error).message,
      });
      sendNoStoreJson(response, 503, {
        statusCode: 503,
        error: 'captcha_unavailable',
        message: 'Verification is temporarily unavailable.',
      });
    }
  }
}
