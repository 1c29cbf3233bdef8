import { Controller, HttpCode, Post, type INestApplication } from '@nestjs/common';
import { runInThisContext } from 'node:vm';
import request from 'supertest';
import {
  CaptchaResult,
  RequireCaptcha,
  type AltchaChallenge,
  type CaptchaAuditEvent,
  type CaptchaFailureMode,
  type CaptchaModuleOptions,
  type CaptchaUnavailableKind,
  type CaptchaVerification,
} from 'nestjs-captcha';
import { FakeCaptchaServer, type FaultOptions } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp, type HttpAdapterName } from '../support/create-app';
import { FaultyUpstream } from '../support/faulty-upstream';
import { FAST_ALTCHA, solveAltcha } from '../support/solve-altcha';
import { StubDnsDispatcher } from '../support/stub-dns-dispatcher';

/**
 * The outage matrix: every provider fault × every outage policy (closed, open, fallback to
 * ALTCHA), asserting the answer (status, exact body, headers), the audit events, how many provider
 * attempts were made, that no token or secret leaks, and that the same app serves a valid token
 * again once the fault is cleared. Any unhandled promise rejection fails the test it happens in.
 */

const TIMEOUT_MS = 300;
const VERIFY_PATH = '/turnstile/v0/siteverify';
const WRONG_SECRET = '0x4AAAAAAAwrongSecretTurnstile999999';
const UNAVAILABLE_MESSAGE =
  'Verification is temporarily unavailable. Please try again in a moment.';
const REQUIRED_MESSAGE = 'Please complete the verification step to continue.';

@Controller()
class LoginController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  login(@CaptchaResult() captcha: CaptchaVerification) {
    return { ok: true, captcha };
  }
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/** How the fault is produced; faults that need another verifyUrl, secret or agent get own apps. */
type SetupName = 'fake' | 'refused' | 'reset' | 'dns' | 'secret';

/** What the provider call amounts to, whatever the policy. */
type Outcome =
  | { verdict: 'passes'; captcha: Record<string, unknown>; absent: string[] }
  | { verdict: 'outage'; kind: CaptchaUnavailableKind; status?: number }
  | { verdict: 'misconfigured' };

interface FaultCase {
  fault: string;
  setup: SetupName;
  /** The fault injected on the fake's Turnstile route (setup `fake`). */
  inject?: FaultOptions;
  outcome: Outcome;
  /** Provider attempts (requests, connections or lookups) the one verification makes. */
  attempts?: number;
  /** The answer may not come sooner than this (ms). */
  minMs?: number;
}

const outage = (kind: CaptchaUnavailableKind, status?: number): Outcome => ({
  verdict: 'outage',
  kind,
  status,
});
/** `captcha`: fields `@CaptchaResult()` must hold; `absent`: fields it must not have. */
const passes = (captcha: Record<string, unknown>, absent: string[] = []): Outcome => ({
  verdict: 'passes',
  captcha,
  absent: ['reason', 'degraded', ...absent],
});
const MISCONFIGURED: Outcome = { verdict: 'misconfigured' };

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>Error</title></head>' +
  '<body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>';

// prettier-ignore
const FAULTS: FaultCase[] = [
  { fault: 'HTTP 500',                              setup: 'fake',    inject: { status: 500 }, outcome: outage('http_5xx', 500), attempts: 2 },
  { fault: 'HTTP 502',                              setup: 'fake',    inject: { status: 502 }, outcome: outage('http_5xx', 502), attempts: 2 },
  { fault: 'HTTP 503',                              setup: 'fake',    inject: { status: 503 }, outcome: outage('http_5xx', 503), attempts: 2 },
  { fault: 'HTTP 429',                              setup: 'fake',    inject: { status: 429 }, outcome: outage('http_4xx', 429), attempts: 1 },
  { fault: 'connection refused',                    setup: 'refused',                          outcome: outage('network') },
  { fault: 'connection reset mid-response',         setup: 'reset',                            outcome: outage('network'), attempts: 2 },
  { fault: 'connection closed before any answer',   setup: 'fake',    inject: { closeConnection: true }, outcome: outage('network'), attempts: 2 },
  { fault: 'hang past the timeout',                 setup: 'fake',    inject: { hang: true },  outcome: outage('timeout'), attempts: 1, minMs: TIMEOUT_MS },
  { fault: 'slow answer just under the timeout',    setup: 'fake',    inject: { delayMs: TIMEOUT_MS / 2 }, attempts: 1, minMs: TIMEOUT_MS / 2,
    outcome: passes({ success: true, provider: 'turnstile', action: 'login', hostname: 'localhost', challengeTs: expect.any(String), errorCodes: [] }) },
  { fault: 'HTML error page (HTTP 200, text/html)', setup: 'fake',    inject: { status: 200, contentType: 'text/html', body: HTML_PAGE }, outcome: outage('bad_response', 200), attempts: 1 },
  { fault: 'invalid JSON',                          setup: 'fake',    inject: { body: '{"success": tru' }, outcome: outage('bad_response', 200), attempts: 1 },
  { fault: 'JSON of the wrong shape',               setup: 'fake',    inject: { body: '{"success":"true","error-codes":[]}' }, outcome: outage('bad_response', 200), attempts: 1 },
  { fault: 'success: true with missing fields',     setup: 'fake',    inject: { body: '{"success":true}' }, attempts: 1,
    outcome: passes({ success: true, provider: 'turnstile', errorCodes: [] }, ['action', 'hostname', 'score', 'challengeTs']) },
  { fault: 'bad secret (invalid-input-secret)',     setup: 'secret',                           outcome: MISCONFIGURED, attempts: 1 },
  { fault: 'DNS failure (unresolvable host)',       setup: 'dns',                              outcome: outage('network'), attempts: 2 },
];

const POLICIES: CaptchaFailureMode[] = ['closed', 'open', 'fallback'];

/**
 * The answer a policy gives to an outcome. Misconfiguration is always answered as closed: it is
 * not an outage the fallback is accepted for, and some of its codes can be provoked by a client.
 */
type Answer = 'success' | 'unavailable' | 'degraded' | 'fallback';

function answerFor(outcome: Outcome, policy: CaptchaFailureMode): Answer {
  if (outcome.verdict === 'passes') return 'success';
  if (policy === 'closed' || outcome.verdict === 'misconfigured') return 'unavailable';
  if (policy === 'open') return 'degraded';
  return 'fallback';
}

// ---------------------------------------------------------------------------------------------
// Unhandled rejections, watched on the real process (Jest gives each test file its own `process`)
// ---------------------------------------------------------------------------------------------

const realProcess = runInThisContext('process') as NodeJS.Process;
const unhandled: unknown[] = [];
const watchRejections = (reason: unknown): void => {
  unhandled.push(reason);
};
/** Lets pending rejections be reported: they are detected after the microtask queue drains. */
const settle = async () => {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

// ---------------------------------------------------------------------------------------------
// The apps, one per (setup, policy), built when first needed
// ---------------------------------------------------------------------------------------------

let fake: FakeCaptchaServer;
let refusing: FaultyUpstream;
let resetting: FaultyUpstream;
let dns: StubDnsDispatcher;
let secretIsWrong = false;

interface Setup {
  options(): Partial<CaptchaModuleOptions>;
  arm(fault: FaultCase): void | Promise<void>;
  disarm(): void | Promise<void>;
  /** Provider attempts so far, or `undefined` where they cannot be counted. */
  attempts(): number | undefined;
}

const SETUPS: Record<SetupName, Setup> = {
  fake: {
    options: () => ({}),
    arm: (fault) => fake.fault('turnstile', fault.inject!),
    disarm: () => fake.clearFaults(),
    attempts: () => fake.requests.length,
  },
  // A port where a listener was, and is no more; the listener comes back to clear the fault.
  refused: {
    options: () => ({ verifyUrl: refusing.url(VERIFY_PATH) }),
    arm: () => refusing.setMode('refused'),
    disarm: () => refusing.setMode('forward'),
    attempts: () => undefined,
  },
  reset: {
    options: () => ({ verifyUrl: resetting.url(VERIFY_PATH) }),
    arm: () => resetting.setMode('reset-mid-response'),
    disarm: () => resetting.setMode('forward'),
    attempts: () => resetting.connections,
  },
  // A host under the reserved `.invalid` TLD, resolved by a stub: no DNS query leaves the machine.
  dns: {
    options: () => ({
      verifyUrl: `http://captcha-provider.invalid:${new URL(fake.url).port}${VERIFY_PATH}`,
      dispatcher: dns.dispatcher,
    }),
    arm: () => {
      dns.resolvesTo = undefined;
    },
    disarm: () => {
      dns.resolvesTo = '127.0.0.1';
    },
    attempts: () => dns.lookups,
  },
  // The secret is read on each call, so the operator "fixes" it without a restart.
  secret: {
    options: () => ({
      secretKey: () => (secretIsWrong ? WRONG_SECRET : FakeCaptchaServer.secrets.turnstile),
    }),
    arm: () => {
      secretIsWrong = true;
    },
    disarm: () => {
      secretIsWrong = false;
    },
    attempts: () => fake.requests.length,
  },
};

interface TestApp {
  app: INestApplication;
  events: CaptchaAuditEvent[];
}

const apps = new Map<string, Promise<TestApp>>();

function appFor(
  setup: SetupName,
  policy: CaptchaFailureMode,
  adapter: HttpAdapterName,
): Promise<TestApp> {
  const key = `${adapter}/${setup}/${policy}`;
  let app = apps.get(key);
  if (!app) {
    app = buildApp(setup, policy, adapter);
    apps.set(key, app);
  }
  return app;
}

async function buildApp(
  setup: SetupName,
  policy: CaptchaFailureMode,
  adapter: HttpAdapterName,
): Promise<TestApp> {
  const events: CaptchaAuditEvent[] = [];
  const options: CaptchaModuleOptions = {
    provider: 'turnstile',
    siteKey: FakeCaptchaServer.siteKeys.turnstile,
    secretKey: FakeCaptchaServer.secrets.turnstile,
    verifyUrl: fake.verifyUrl('turnstile'),
    timeoutMs: TIMEOUT_MS,
    circuitBreaker: false,
    failureMode: policy,
    auditSink: { emit: (event) => events.push(event) },
    ...(policy === 'fallback' ? { fallback: { provider: 'altcha' }, altcha: FAST_ALTCHA } : {}),
    ...SETUPS[setup].options(),
  };
  return { app: await createCaptchaApp(options, [LoginController], adapter), events };
}

beforeAll(async () => {
  realProcess.on('unhandledRejection', watchRejections);
  fake = await FakeCaptchaServer.start();
  const fakePort = Number(new URL(fake.url).port);
  refusing = await FaultyUpstream.start(fakePort, 'refused');
  resetting = await FaultyUpstream.start(fakePort, 'forward');
  dns = new StubDnsDispatcher();
  dns.resolvesTo = '127.0.0.1';
});

afterEach(async () => {
  for (const setup of Object.values(SETUPS)) await setup.disarm();
  await settle();
  expect(unhandled).toEqual([]);
});

afterAll(async () => {
  const all = await Promise.allSettled(apps.values());
  for (const built of all) if (built.status === 'fulfilled') await built.value.app.close();
  await fake?.close();
  await refusing?.close();
  await resetting?.close();
  await dns?.destroy();
  await settle();
  realProcess.off('unhandledRejection', watchRejections);
  expect(unhandled).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

const issueToken = () =>
  fake.issueToken({ provider: 'turnstile', action: 'login', hostname: 'localhost' });

const postLogin = (app: INestApplication, body: object) =>
  request(app.getHttpServer()).post('/login').timeout(5_000).send(body);

/** The event the circuit layer writes for the failed call. */
function providerEvent(outcome: Outcome): Record<string, unknown> {
  if (outcome.verdict === 'misconfigured') {
    return {
      event: 'captcha.misconfigured',
      provider: 'turnstile',
      cause: expect.stringContaining('invalid-input-secret'),
      errorCodes: ['invalid-input-secret'],
    };
  }
  if (outcome.verdict !== 'outage') throw new Error('no provider event for a pass');
  return {
    event: 'captcha.provider_unreachable',
    provider: 'turnstile',
    kind: outcome.kind,
    latencyMs: expect.any(Number),
    // toEqual: `undefined` here also matches an event without the field.
    status: outcome.status,
  };
}

/** The fallback round trip: fetch an ALTCHA challenge, solve it, post it, get through. */
async function expectAltchaRoundTrip(testApp: TestApp): Promise<void> {
  const server = testApp.app.getHttpServer();
  const challenge = await request(server).get('/captcha/challenge?action=login').timeout(5_000);
  expect(challenge.status).toBe(200);
  const payload = await solveAltcha(challenge.body as AltchaChallenge);
  const solved = await postLogin(testApp.app, { captcha: { provider: 'altcha', token: payload } });
  expect(solved.status).toBe(200);
  expect(solved.body.captcha).toMatchObject({ success: true, provider: 'altcha' });
  expect(solved.body.captcha).not.toHaveProperty('degraded');
  // ALTCHA is verified locally: no provider call, no outage event.
  expect(testApp.events.splice(0)).toEqual([]);
}

describe('the unhandledRejection watcher', () => {
  it('sees a rejection nobody handles in this sandbox, so the matrix can fail on one', async () => {
    // jest-circus also listens on the real process and fails the running test on an unhandled
    // rejection; it is detached for this probe only, so the probe checks this watcher alone.
    const others = realProcess
      .listeners('unhandledRejection')
      .filter((listener) => listener !== watchRejections);
    for (const listener of others) realProcess.off('unhandledRejection', listener);
    try {
      void Promise.reject(new Error('probe: nobody handles this'));
      await settle();
    } finally {
      for (const listener of others) realProcess.on('unhandledRejection', listener);
    }
    expect(unhandled).toEqual([expect.objectContaining({ message: 'probe: nobody handles this' })]);
    unhandled.length = 0;
  });
});

describe.each(ADAPTERS)('%s', (adapter) => {
  describe.each(POLICIES)('outage matrix, failureMode "%s"', (policy) => {
    it.each(FAULTS)('$fault', async (fault) => {
      const setup = SETUPS[fault.setup];
      const testApp = await appFor(fault.setup, policy, adapter);
      testApp.events.length = 0;
      await setup.arm(fault);
      const attemptsBefore = setup.attempts();
      const token = issueToken();

      const started = performance.now();
      const res = await postLogin(testApp.app, { captchaToken: token });
      const elapsedMs = performance.now() - started;
      const attemptsAfter = setup.attempts();
      const events = testApp.events.splice(0);

      // Answered promptly: one timeout budget at most (a retry only follows a fast failure).
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 1_000);
      if (fault.minMs !== undefined) expect(elapsedMs).toBeGreaterThanOrEqual(fault.minMs - 5);
      if (fault.attempts !== undefined) {
        expect(attemptsAfter! - attemptsBefore!).toBe(fault.attempts);
      }
      // Neither the token nor a secret reaches the audit trail or the client.
      for (const secret of [token, FakeCaptchaServer.secrets.turnstile, WRONG_SECRET]) {
        expect(JSON.stringify(events)).not.toContain(secret);
        expect(res.text).not.toContain(secret);
      }

      const { outcome } = fault;
      switch (answerFor(outcome, policy)) {
        case 'success': {
          const { captcha, absent } = outcome as Extract<Outcome, { verdict: 'passes' }>;
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ ok: true, captcha });
          for (const field of absent) expect(res.body.captcha).not.toHaveProperty(field);
          expect(events).toEqual([]);
          break;
        }
        case 'unavailable': {
          expect(res.status).toBe(503);
          expect(res.body).toEqual({
            statusCode: 503,
            error: 'captcha_unavailable',
            message: UNAVAILABLE_MESSAGE,
            details: { provider: 'turnstile', fallback: null },
          });
          expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
          expect(res.headers['cache-control']).toBe('no-store');
          expect(events).toEqual([providerEvent(outcome)]);
          break;
        }
        case 'degraded': {
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({
            ok: true,
            captcha: {
              success: false,
              degraded: true,
              provider: 'turnstile',
              reason: 'provider_unavailable',
              errorCodes: [],
            },
          });
          expect(events).toEqual([
            providerEvent(outcome),
            {
              event: 'captcha.fail_open',
              provider: 'turnstile',
              action: 'login',
              kind: (outcome as { kind: CaptchaUnavailableKind }).kind,
            },
          ]);
          break;
        }
        case 'fallback': {
          expect(res.status).toBe(403);
          expect(res.body).toEqual({
            statusCode: 403,
            error: 'captcha_required',
            message: REQUIRED_MESSAGE,
            details: {
              provider: 'altcha',
              site_key: null,
              action: 'login',
              challenge_url: '/captcha/challenge?action=login',
            },
          });
          expect(res.headers).not.toHaveProperty('retry-after');
          expect(res.headers['cache-control']).toBe('no-store');
          expect(events).toEqual([
            providerEvent(outcome),
            {
              event: 'captcha.fallback_used',
              provider: 'turnstile',
              action: 'login',
              fallback: 'altcha',
            },
          ]);
          // The client follows the answer while the primary is still down.
          await expectAltchaRoundTrip(testApp);
          break;
        }
      }

      // The fault is cleared: the same app serves a fresh valid token again.
      await setup.disarm();
      const recovered = await postLogin(testApp.app, {
        captcha: { provider: 'turnstile', token: issueToken() },
      });
      expect(recovered.status).toBe(200);
      expect(recovered.body.captcha).toMatchObject({
        success: true,
        provider: 'turnstile',
        action: 'login',
        hostname: 'localhost',
      });
      expect(testApp.events).toEqual([]);
    });
  });
});
