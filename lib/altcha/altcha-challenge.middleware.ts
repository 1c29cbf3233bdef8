import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendNoStoreJson } from '../http/send-no-store-json';
import { ALTCHA_ACTION } from '../providers/altcha.provider';
import { CaptchaProviders } from '../providers/captcha-providers';

/**
 * Serves a fresh signed ALTCHA challenge (`GET /captcha/challenge?action=login` by default),
 * signed for the action in the query: its payload is accepted only on routes of that action.
 * Without `action`, the challenge is good only where no action is expected. A bad `action`
 * answers 400. A middleware on the raw Node response, so the path can come from options and it
 * works on Express and Fastify.
 *
 * @internal
 */
@Injectable()
export class AltchaChallengeMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly logger = new Logger('CaptchaAltchaChallenge');

  constructor(private readonly providers: CaptchaProviders) {}

  async use(request: IncomingMessage, response: ServerResponse, next: () => void): Promise<void> {
    const altcha = this.providers.altcha;
    if (request.method !== 'GET' || !altcha) return next();
    const action = new URL(request.url ?? '/', 'http://localhost').searchParams.get('action');
    if (action !== null && !ALTCHA_ACTION.test(action)) {
      sendNoStoreJson(response, 400, {
        statusCode: 400,
        error: 'bad_request',
        message:
          'Query parameter "action" must be 1 to 100 printable ASCII characters without spaces.',
      });
      return;
    }
    try {
      const challenge = await altcha.createChallenge(action ?? undefined);
      sendNoStoreJson(response, 200, challenge);
    } catch (error) {
      this.logger.error({ event: 'captcha.challenge_failed', cause: (error as Error).message });
      sendNoStoreJson(response, 503, {
        statusCode: 503,
        error: 'captcha_unavailable',
        message: 'Verification is temporarily unavailable.',
      });
    }
  }
}
