import { Inject, Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CAPTCHA_PROVIDER } from '../captcha.module-definition';
import { AltchaProvider } from '../providers/altcha.provider';
import type { CaptchaProvider } from '../providers/captcha-provider.interface';

/**
 * Serves a fresh signed ALTCHA challenge (`GET /captcha/challenge` by default). A middleware on
 * the raw Node response, so the path can come from options and it works on Express and Fastify.
 */
@Injectable()
export class AltchaChallengeMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly logger = new Logger('CaptchaModule');

  constructor(@Inject(CAPTCHA_PROVIDER) private readonly provider: CaptchaProvider) {}

  async use(request: IncomingMessage, response: ServerResponse, next: () => void): Promise<void> {
    if (request.method !== 'GET' || !(this.provider instanceof AltchaProvider)) return next();
    try {
      const challenge = await this.provider.createChallenge();
      send(response, 200, challenge);
    } catch (error) {
      this.logger.error({ event: 'captcha.challenge_failed', cause: (error as Error).message });
      send(response, 503, {
        statusCode: 503,
        error: 'captcha_unavailable',
        message: 'Verification is temporarily unavailable.',
      });
    }
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.setHeader('cache-control', 'no-store');
  response.end(JSON.stringify(body));
}
