import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CaptchaRouteScan } from '../guard/captcha-route-scan';
import { ClientIpResolver } from '../http/client-ip-resolver';
import { sendNoStoreJson } from '../http/send-no-store-json';
import { CaptchaMetrics } from '../observability/captcha-metrics';
import { ALTCHA_ACTION } from '../providers/altcha.provider';
import { CaptchaProviders } from '../providers/captcha-providers';
import { CaptchaStoreError } from '../stores/captcha-store.error';

/**
 * Serves a fresh signed ALTCHA challenge (`GET /captcha/challenge?action=login` by default),
 * signed for the action in the query: its payload is accepted only on routes of that action.
 * Without `action`, the challenge is good only where no action is expected. A bad `action`
 * answers 400. A middleware on the raw Node response, so the path can come from options and it
 * works on Express and Fastify.
 *
 * With `altcha.adaptive`, the challenge's work grows with the asking client's failures for the
 * action (its IP as `trustProxy` resolves it); the level is signed into the challenge. Every
 * issued counter is observed in `captcha_pow_cost{action}` (an action no route declares is
 * labelled `other`, so a client cannot grow the label set).
 *
 * @internal
 */
@Injectable()
export class AltchaChallengeMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly logger = new Logger('CaptchaAltchaChallenge');

  private actions: ReadonlySet<string> | undefined;

  constructor(
    private readonly providers: CaptchaProviders,
    private readonly clientIp: ClientIpResolver,
    private readonly metrics: CaptchaMetrics,
    private readonly routes: CaptchaRouteScan,
  ) {}

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
      const wanted = action ?? undefined;
      const level = altcha.difficulty
        ? await altcha.difficulty.levelToIssue(this.clientIp.resolve(request).ip, wanted)
        : 0;
      const { challenge, counter } = await altcha.issueChallenge(wanted, level);
      this.metrics.powCost(this.metricAction(wanted), counter);
      sendNoStoreJson(response, 200, challenge);
    } catch (error) {
      // A store outage (adaptive levels) is logged once by the outage log: each request at debug.
      const level = error instanceof CaptchaStoreError ? 'debug' : 'error';
      this.logger[level]({ event: 'captcha.challenge_failed', cause: (error as Error).message });
      sendNoStoreJson(response, 503, {
        statusCode: 503,
        error: 'captcha_unavailable',
        message: 'Verification is temporarily unavailable.',
      });
    }
  }

  /** The `action` label: `none`, an action some route declares, or `other`. */
  private metricAction(action: string | undefined): string {
    if (action === undefined) return 'none';
    this.actions ??= new Set(
      this.routes
        .all()
        .flatMap((type) => [type.requirement, ...type.handlers.map((h) => h.own)])
        .map((requirement) => requirement?.action)
        .filter((name): name is string => typeof name === 'string'),
    );
    return this.actions.has(action) ? action : 'other';
  }
}
