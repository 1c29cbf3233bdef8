/**
 * Attack: a reply that is not a full verification (a CaptchaLa `dg_` token answered `degraded`, a
 * `client_` token nobody can verify) is let through whatever the route's outage policy says, and
 * even when the site's own checks (action, hostname) fail it.
 *
 * Defence: a degraded reply is accepted only on a route whose policy is `failureMode: 'open'`,
 * and only after judgeReply found nothing wrong with it; elsewhere it is the outage it is (503
 * `captcha_unavailable`). The decision log says which.
 */
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CaptchaModule, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer, type FakeCaptchalaTokenKind } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp } from '../support/create-app';
import { PolicyRoutesController } from '../support/policy-routes.controller';

class RecordingLogger implements LoggerService {
  readonly entries: unknown[] = [];
  log = () => undefined;
  warn = (message: unknown) => this.entries.push(message);
  error = (message: unknown) => this.entries.push(message);
  debug = (message: unknown) => this.entries.push(message);
  verbose = () => undefined;
  decisions(): Record<string, unknown>[] {
    return this.entries.filter(
      (e): e is Record<string, unknown> =>
        typeof e === 'object' &&
        e !== null &&
        (e as { event?: unknown }).event === 'captcha.decision',
    );
  }
}

/** A CaptchaLa degraded answer as documented (`valid: false`, `degraded: true`) with echo fields. */
const degradedReply = (data: Record<string, unknown>) =>
  JSON.stringify({
    code: 0,
    data: { valid: false, degraded: true, reason: 'quota_exhausted', ...data },
  });

const ATTEMPTS = 5;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('attack: degraded replies pass regardless of policy', () => {
    let fake: FakeCaptchaServer;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
    });
    afterEach(() => fake.reset());
    afterAll(() => fake.close());

    const boot = async (extra: Partial<CaptchaModuleOptions> = {}) => {
      const logger = new RecordingLogger();
      const moduleRef = await Test.createTestingModule({
        imports: [
          CaptchaModule.forRoot({
            provider: 'captchala',
            siteKey: FakeCaptchaServer.siteKeys.captchala,
            secretKey: FakeCaptchaServer.secrets.captchala,
            verifyUrl: fake.verifyUrl('captchala'),
            timeoutMs: 500,
            ...extra,
            captchala: {
              backupUrl: fake.endpointUrl('captchala', 'backup'),
              acceptDegraded: true,
              acceptClientTokens: true,
              ...extra.captchala,
            },
          }),
        ],
        controllers: [PolicyRoutesController],
      }).compile();
      const app = await startApp(moduleRef, adapter, { logger });
      return { app, logger };
    };
    const token = (captchalaKind: FakeCaptchalaTokenKind, action = 'login') =>
      fake.issueToken({ provider: 'captchala', action, captchalaKind });

    it(`lets 0 of ${ATTEMPTS} dg_ and 0 of ${ATTEMPTS} client_ tokens through a fail-closed route (before: ${ATTEMPTS} and ${ATTEMPTS})`, async () => {
      const { app, logger } = await boot();
      try {
        const statuses: Record<string, number[]> = { degraded: [], client: [] };
        for (const kind of ['degraded', 'client'] as const) {
          for (let i = 0; i < ATTEMPTS; i++) {
            const res = await request(app.getHttpServer())
              .post('/login')
              .send({ captchaToken: token(kind) });
            statuses[kind].push(res.status);
            if (res.status === 503) {
              expect(res.body).toMatchObject({
                error: 'captcha_unavailable',
                details: { provider: 'captchala', fallback: null },
              });
            }
          }
        }
        const passed = (kind: string) => statuses[kind].filter((s) => s === 200).length;
        expect({ degraded: passed('degraded'), client: passed('client') }).toEqual({
          degraded: 0,
          client: 0,
        });
        expect(statuses.degraded).toEqual(Array(ATTEMPTS).fill(503));
        expect(statuses.client).toEqual(Array(ATTEMPTS).fill(503));
        // The log says it was a degraded reply refused under the closed policy.
        expect(logger.decisions()).toContainEqual(
          expect.objectContaining({
            action: 'login',
            outcome: 'provider_unavailable',
            policy: 'closed',
            degraded: 'refused',
          }),
        );
      } finally {
        await app.close();
      }
    });

    it('still accepts a degraded reply on a fail-open route, logged as accepted under policy open', async () => {
      const { app, logger } = await boot();
      try {
        const res = await request(app.getHttpServer())
          .post('/comment')
          .send({ captchaToken: token('degraded', 'comment') })
          .expect(200);
        expect(res.body.captcha).toMatchObject({ success: true, degraded: true });
        expect(logger.decisions()).toContainEqual(
          expect.objectContaining({
            action: 'comment',
            outcome: 'provider_unavailable',
            policy: 'open',
            degraded: 'accepted',
          }),
        );
      } finally {
        await app.close();
      }
    });

    it.each([
      [
        'action_mismatch',
        {},
        { action: 'signup', captcha_args: { referer: 'https://localhost/' } },
      ],
      [
        'hostname_mismatch',
        { expectedHostnames: ['localhost'] },
        { action: 'comment', captcha_args: { referer: 'https://evil.example.net/' } },
      ],
    ])(
      `refuses a degraded reply that fails the site's check with %s, even on a fail-open route (before: ${ATTEMPTS} of ${ATTEMPTS} passed)`,
      async (reason, extra, echoed) => {
        const { app, logger } = await boot(extra);
        try {
          const statuses: number[] = [];
          for (let i = 0; i < ATTEMPTS; i++) {
            fake.fault('captchala', { status: 200, body: degradedReply(echoed), times: 1 });
            const res = await request(app.getHttpServer())
              .post('/comment')
              .send({ captchaToken: token('degraded', 'comment') });
            statuses.push(res.status);
            if (res.status === 403) {
              expect(res.body).toMatchObject({
                error: 'captcha_invalid',
                details: { reason, provider: 'captchala', action: 'comment' },
              });
            }
          }
          expect(statuses.filter((s) => s === 200).length).toBe(0);
          expect(statuses).toEqual(Array(ATTEMPTS).fill(403));
          expect(logger.decisions()).toContainEqual(
            expect.objectContaining({ outcome: reason, degraded: 'refused' }),
          );
        } finally {
          await app.close();
        }
      },
    );
  });
});
