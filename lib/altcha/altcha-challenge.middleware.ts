import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendNoStoreJson } from '../http/send-no-store-json';
import { CaptchaProviders } from '../providers/captcha-providers';

/**
 * Serves a fresh signed ALTCHA challenge (`GET /captcha/challenge` by default). A middleware on
 * the raw Node response, so the path can come from options and it works on Express and Fastify.
 */
@Injectable()
export class AltchaChallengeMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly logger = new Logger('CaptchaModule');

  constructor(private readonly providers: CaptchaProviders) {}

  async use(request: IncomingMessage, response: ServerResponse, next: () => void): Promise<void> {
    const altcha = this.providers.altcha;
    if (request.method !== 'GET' || !altcha) return next();
    try {
      const challenge = await altcha.createChallenge();
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
