/**
 * Attack: make the provider look down with inputs the client chooses, so that the one shared
 * circuit breaker opens for everyone (fail-closed routes then refuse real users, fail-open routes
 * pass garbage):
 * - junk CaptchaLa `offline_` tokens, which are sent to the backup URL: while the backup fails or
 *   refuses them, every one counted against the provider's only circuit;
 * - junk tokens a provider answers with a 4xx the library does not recognise, counted as outages.
 *
 * Defence: a circuit per endpoint (the backup's failures open only the backup's circuit), a
 * readable refusal on a 4xx is a verdict on the token (`invalid`), an unreadable or unknown 4xx
 * is `misconfigured` (503 for that request, logged loudly, never counted, never failed open), and
 * an outage of an endpoint the client picked is not failed open while the primary one is up.
 */
import type { INestApplication } from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import { type CaptchaAuditEvent, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer, type FaultOptions } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';
import { PolicyRoutesController } from '../support/policy-routes.controller';

/** Junk the attacker makes up: nothing the provider ever issued. */
const junk = (prefix: string, i: number) => `${prefix}attacker-junk-${i}-${'x'.repeat(24)}`;
const JUNK = 6;
const THRESHOLD = 3;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('attack: client-chosen inputs trip the circuit breaker', () => {
    let fake: FakeCaptchaServer;
    let apps: INestApplication[] = [];
    let events: CaptchaAuditEvent[];
    let registry: Registry;

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
    });
    afterEach(async () => {
      fake.reset();
      await Promise.all(apps.map((app) => app.close()));
      apps = [];
    });
    afterAll(() => fake.close());

    const boot = async (
      provider: 'captchala' | 'turnstile',
      captchala: CaptchaModuleOptions['captchala'] = {},
    ) => {
      events = [];
      registry = new Registry();
      const options: CaptchaModuleOptions = {
        provider,
        siteKey: FakeCaptchaServer.siteKeys[provider],
        secretKey: FakeCaptchaServer.secrets[provider],
        verifyUrl: fake.verifyUrl(provider),
        timeoutMs: 500,
        circuitBreaker: { threshold: THRESHOLD, halfOpenAfterMs: 60_000 },
        auditSink: { emit: (event) => events.push(event) },
        metrics: 'prometheus',
        metricsRegistry: registry,
        logDecisions: false,
        captchala: { backupUrl: fake.endpointUrl('captchala', 'backup'), ...captchala },
      };
      const app = await createCaptchaApp(options, [PolicyRoutesController], adapter);
      apps.push(app);
      return app;
    };
    const post = (app: INestApplication, path: string, token: string) =>
      request(app.getHttpServer()).post(path).send({ captchaToken: token });
    const circuitOpenGauge = async (provider: string) => {
      const metric = registry.getSingleMetric('captcha_circuit_open');
      const values = metric ? (await metric.get()).values : [];
      return values.find((v) => v.labels.provider === provider)?.value ?? 0;
    };
    /** The attacker's burst: `JUNK` junk tokens, each answered by `fault`. */
    const attack = async (
      app: INestApplication,
      path: string,
      provider: 'captchala' | 'turnstile',
      prefix: string,
      fault: FaultOptions,
    ) => {
      fake.fault(provider, fault);
      const statuses: number[] = [];
      for (let i = 0; i < JUNK; i++) statuses.push((await post(app, path, junk(prefix, i))).status);
      fake.clearFaults();
      return statuses;
    };

    describe.each([
      ['the backup endpoint failing (HTTP 503)', { status: 503, endpoint: 'backup' }],
      [
        'the backup endpoint refusing them (HTTP 400, CaptchaLa envelope)',
        {
          status: 400,
          endpoint: 'backup',
          body: JSON.stringify({ code: 40004, msg: 'invalid_pass_token', data: null }),
        },
      ],
    ])(`${JUNK} junk offline_ tokens with %s`, (_what, fault) => {
      it(`leave the primary circuit closed: a real user passes right after (before: circuit open, 503)`, async () => {
        const app = await boot('captchala');
        const statuses = await attack(app, '/login', 'captchala', 'offline_', fault);
        // The attacker never passes.
        expect(statuses.filter((s) => s === 200)).toHaveLength(0);

        const user = fake.issueToken({ provider: 'captchala', action: 'login' });
        const res = await post(app, '/login', user);
        expect(res.status).toBe(200);
        expect(res.body.captcha).toMatchObject({ success: true, provider: 'captchala' });
        // The backup's own circuit opens on its outages (a refusal is a verdict: nothing opens).
        expect(circuitsOpened(events)).toEqual(fault.status === 503 ? ['backup'] : []);
        expect(await circuitOpenGauge('captchala')).toBe(0);
      });

      it('let no garbage through a fail-open route, offline_ or not (before: passed once the circuit opened)', async () => {
        const app = await boot('captchala');
        const statuses = await attack(app, '/comment', 'captchala', 'offline_', fault);
        fake.fault('captchala', fault);
        const garbage = [
          (await post(app, '/comment', junk('offline_', 99))).status,
          (await post(app, '/comment', junk('pt_', 99))).status,
        ];
        fake.clearFaults();
        expect([...statuses, ...garbage].filter((s) => s === 200)).toHaveLength(0);
        expect(await circuitOpenGauge('captchala')).toBe(0);
      });
    });

    it('fails an offline_ token open on an open route only while the primary endpoint is down too', async () => {
      const app = await boot('captchala');
      // The backup alone is down: the client picked it, so no fail-open (503).
      fake.fault('captchala', { status: 503, endpoint: 'backup' });
      expect((await post(app, '/comment', junk('offline_', 1))).status).toBe(503);
      // The primary fails as well (a call and its retry): now the provider is down for everyone.
      fake.fault('captchala', { status: 503, endpoint: 'verify', times: 2 });
      expect((await post(app, '/comment', junk('pt_', 1))).status).toBe(200);
      const res = await post(app, '/comment', junk('offline_', 2));
      expect(res.status).toBe(200);
      expect(res.body.captcha).toMatchObject({ degraded: true, reason: 'provider_unavailable' });
    });

    it('does not let client_ tokens (answered without a call) hold a failing circuit closed', async () => {
      const app = await boot('captchala', { acceptClientTokens: true });
      // The primary is down: every pt_ verification fails (a call and its retry).
      fake.fault('captchala', { status: 503, endpoint: 'verify' });
      const statuses: number[] = [];
      for (let i = 0; i < THRESHOLD; i++) {
        statuses.push((await post(app, '/login', junk('pt_', i))).status);
        // An attacker's client_ token between outages: no provider call, so not a sign of health.
        statuses.push((await post(app, '/comment', junk('client_', i))).status);
      }
      expect(statuses).toEqual([503, 200, 503, 200, 503, 200]);
      expect(circuitsOpened(events)).toEqual(['primary']);
      expect(await circuitOpenGauge('captchala')).toBe(1);
    });

    it.each([
      [
        'CaptchaLa answering HTTP 422 with its envelope',
        'captchala',
        'pt_',
        {
          status: 422,
          endpoint: 'verify',
          body: JSON.stringify({ code: 42201, msg: 'pass_token_malformed', data: null }),
        },
        403,
      ],
      [
        'Turnstile answering HTTP 400 with an HTML page',
        'turnstile',
        'turnstile_',
        { status: 400, body: '<html>Bad Request</html>', contentType: 'text/html' },
        503,
      ],
    ] as const)(
      `${JUNK} junk tokens answered with an unrecognised 4xx (%s) leave the circuit closed (before: open after ${THRESHOLD})`,
      async (_what, provider, prefix, fault, expected) => {
        const app = await boot(provider);
        const statuses = await attack(app, '/login', provider, prefix, fault);
        const res = await post(app, '/login', fake.issueToken({ provider, action: 'login' }));
        expect(res.status).toBe(200);
        expect(statuses).toEqual(Array(JUNK).fill(expected));
        expect(circuitsOpened(events)).toEqual([]);
        expect(await circuitOpenGauge(provider)).toBe(0);
        // And garbage does not pass a fail-open route either.
        fake.fault(provider, { ...fault, times: 1 });
        expect((await post(app, '/comment', junk(prefix, 100))).status).not.toBe(200);
      },
    );
  });
});

/** The endpoints whose circuit opened (`primary` when the event names none, as before the fix). */
const circuitsOpened = (events: CaptchaAuditEvent[]) =>
  events
    .filter((e) => e.event === 'captcha.circuit_opened')
    .map((e) => (typeof e.endpoint === 'string' ? e.endpoint : 'primary'));
