import { spawn } from 'node:child_process';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captchaCspDirectives } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { type DoctorCheck, type DoctorReport, runDoctor } from '../../lib/cli/doctor';
import { formatDoctorReport, formatDoctorReportJson } from '../../lib/cli/doctor-report';
import { main, USAGE } from '../../lib/cli/main';
import { Redis } from 'ioredis';
import { eventually } from '../support/eventually';
import { RedisServer } from '../support/redis-server';
import { buildCli } from '../support/build-cli';

const ROOT = join(__dirname, '..', '..');
/** The CLI is compiled here (inside node_modules, so its requires resolve), never into dist/. */
const BUILD_DIR = join(ROOT, 'node_modules', '.cache', `nestjs-captcha-cli-test-${process.pid}`);

const turnstile = (fake: FakeCaptchaServer, extra: Record<string, string> = {}) => ({
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.turnstile,
  CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile,
  CAPTCHA_VERIFY_URL: fake.verifyUrl('turnstile'),
  ...extra,
});

const HMAC_KEY = 'uQcBQEjbgZMBUtH6HpndwhBMj7G1eZr9'; // random: placeholder keys are refused in production

function check(report: DoctorReport, name: string) {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no "${name}" check in ${JSON.stringify(report.checks)}`);
  return found;
}

/** Both outputs, which must never contain any of `secrets`. */
function expectNoSecrets(report: DoctorReport, ...secrets: string[]) {
  const outputs = [formatDoctorReport(report), formatDoctorReportJson(report)];
  for (const output of outputs) {
    for (const secret of secrets) expect(output).not.toContain(secret);
  }
}

let fake: FakeCaptchaServer;

beforeAll(async () => {
  fake = await FakeCaptchaServer.start();
});

afterEach(() => fake.reset());

afterAll(async () => {
  await fake.close();
});

describe('runDoctor: providers with a verify endpoint', () => {
  it('passes with a good secret, timing the round trip (exit 0)', async () => {
    const report = await runDoctor(turnstile(fake));
    expect(report).toMatchObject({ ok: true, exitCode: 0, provider: 'turnstile' });
    expect(check(report, 'configuration').status).toBe('pass');
    expect(check(report, 'test-keys').status).toBe('pass');
    const provider = check(report, 'provider');
    expect(provider.status).toBe('pass');
    expect(provider.message).toMatch(/secret accepted: .*"invalid" \(invalid-input-response\)/);
    expect(provider.latencyMs).toEqual(expect.any(Number));
    expect(report.csp).toEqual(captchaCspDirectives('turnstile'));
    // The probe really reached the provider with our secret and a made-up token.
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0].form?.response).toMatch(/^nestjs-captcha-doctor-[0-9a-f]{24}$/);
    expectNoSecrets(report, FakeCaptchaServer.secrets.turnstile, fake.requests[0].form!.response);
  });

  it('fails on a rejected secret, naming the code but never the secret (exit 1)', async () => {
    const secret = '0x4AAAAAAAwrongSecretForDoctorTest0000';
    const report = await runDoctor(turnstile(fake, { CAPTCHA_SECRET_KEY: secret }));
    expect(report).toMatchObject({ ok: false, exitCode: 1 });
    const provider = check(report, 'provider');
    expect(provider.status).toBe('fail');
    expect(provider.message).toMatch(/secret or site key rejected/);
    expect(provider.message).toContain('rejected by turnstile: invalid-input-secret');
    expectNoSecrets(report, secret);
    expect(formatDoctorReport(report)).toMatch(/^✗ provider +secret or site key rejected/m);
  });

  it('fails when the provider answers 503 (exit 1)', async () => {
    fake.fault('turnstile', { status: 503 });
    const report = await runDoctor(turnstile(fake));
    expect(report.exitCode).toBe(1);
    expect(check(report, 'provider')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /provider unavailable \(http_5xx\): turnstile answered HTTP 503/,
      ),
    });
  });

  it('fails when the provider hangs past CAPTCHA_TIMEOUT_MS (exit 1)', async () => {
    fake.fault('turnstile', { hang: true });
    const report = await runDoctor(turnstile(fake, { CAPTCHA_TIMEOUT_MS: '300' }));
    expect(report.exitCode).toBe(1);
    const provider = check(report, 'provider');
    expect(provider).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/provider unavailable \(timeout\)/),
    });
    expect(provider.latencyMs).toBeGreaterThanOrEqual(250);
    expect(provider.latencyMs).toBeLessThan(2000);
  });

  it('warns when the answer takes more than half of the timeout (exit 0)', async () => {
    fake.fault('turnstile', { delayMs: 250 });
    const report = await runDoctor(turnstile(fake, { CAPTCHA_TIMEOUT_MS: '400' }));
    expect(report.exitCode).toBe(0);
    expect(check(report, 'provider')).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('more than half of the 400 ms timeout'),
    });
  });

  it('fails when a made-up token passes: every token would', async () => {
    fake.fault('turnstile', { body: JSON.stringify({ success: true, 'error-codes': [] }) });
    const report = await runDoctor(turnstile(fake));
    expect(report.exitCode).toBe(1);
    expect(check(report, 'provider').message).toMatch(/accepted a made-up token/);
  });

  it('fails on public test keys in production, with the warning (exit 1)', async () => {
    const keys = FakeCaptchaServer.testKeys.turnstile;
    const env = turnstile(fake, {
      CAPTCHA_SITE_KEY: keys.siteKeys.alwaysPasses,
      CAPTCHA_SECRET_KEY: keys.secrets.alwaysPasses,
      CAPTCHA_ENV: 'production',
    });
    const report = await runDoctor(env);
    expect(report).toMatchObject({ ok: false, exitCode: 1, production: true });
    const testKeys = check(report, 'test-keys');
    expect(testKeys.status).toBe('fail');
    expect(testKeys.message).toMatch(/CAPTCHA_SITE_KEY is turnstile's public test site key/);
    expect(testKeys.message).toMatch(/CAPTCHA_SECRET_KEY is turnstile's public test secret/);
    expect(testKeys.message).toMatch(/must not be used in production/);
    // The test secret is probed with the dummy token it accepts, so the secret itself passes.
    expect(check(report, 'provider').status).toBe('pass');
    expect(fake.requests[0].form?.response).toBe(keys.dummyToken);
    expectNoSecrets(report, keys.secrets.alwaysPasses);

    const nodeEnv = await runDoctor({ ...env, CAPTCHA_ENV: undefined, NODE_ENV: 'production' });
    expect(check(nodeEnv, 'test-keys').status).toBe('fail');
  });

  it('only warns about test keys outside production (exit 0)', async () => {
    const recaptcha = FakeCaptchaServer.testKeys.recaptcha;
    const report = await runDoctor({
      CAPTCHA_PROVIDER: 'recaptcha',
      CAPTCHA_SITE_KEY: recaptcha.siteKey,
      CAPTCHA_SECRET_KEY: recaptcha.secret,
      CAPTCHA_VERIFY_URL: fake.verifyUrl('recaptcha'),
    });
    expect(report.exitCode).toBe(0);
    expect(check(report, 'test-keys').status).toBe('warn');
    expect(check(report, 'provider')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining("recaptcha's test secret passed"),
    });

    const hcaptcha = FakeCaptchaServer.testKeys.hcaptcha;
    const hReport = await runDoctor({
      CAPTCHA_PROVIDER: 'hcaptcha',
      CAPTCHA_SITE_KEY: hcaptcha.publisher.siteKey,
      CAPTCHA_SECRET_KEY: hcaptcha.secret,
      CAPTCHA_VERIFY_URL: fake.verifyUrl('hcaptcha'),
    });
    expect(hReport.exitCode).toBe(0);
    expect(check(hReport, 'test-keys').status).toBe('warn');
    expect(check(hReport, 'provider').status).toBe('pass');
    expect(hReport.csp).toEqual(captchaCspDirectives('hcaptcha'));
  });

  it('catches an hCaptcha site key that does not belong to the secret', async () => {
    const report = await runDoctor({
      CAPTCHA_PROVIDER: 'hcaptcha',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.testKeys.hcaptcha.publisher.siteKey,
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.hcaptcha,
      CAPTCHA_VERIFY_URL: fake.verifyUrl('hcaptcha'),
    });
    expect(report.exitCode).toBe(1);
    expect(check(report, 'provider').message).toMatch(
      /secret or site key rejected by hcaptcha: not-using-dummy-passcode/,
    );
  });

  it('checks an ALTCHA fallback and lists both widgets in the CSP', async () => {
    const report = await runDoctor(
      turnstile(fake, {
        CAPTCHA_FAILURE_MODE: 'fallback',
        CAPTCHA_FALLBACK_PROVIDER: 'altcha',
        CAPTCHA_ALTCHA_HMAC_KEY: HMAC_KEY,
      }),
    );
    expect(report).toMatchObject({ exitCode: 0, fallbackProvider: 'altcha' });
    expect(check(report, 'fallback').status).toBe('pass');
    expect(report.csp).toEqual(captchaCspDirectives('turnstile', { fallback: 'altcha' }));
    expectNoSecrets(report, HMAC_KEY);
  });
});

describe('runDoctor: reCAPTCHA Enterprise, Friendly Captcha, CaptchaLa', () => {
  const envs = () => ({
    'recaptcha-enterprise': {
      CAPTCHA_PROVIDER: 'recaptcha-enterprise',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys['recaptcha-enterprise'],
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets['recaptcha-enterprise'],
      CAPTCHA_PROJECT_ID: FakeCaptchaServer.projectId,
      CAPTCHA_VERIFY_URL: fake.verifyUrl('recaptcha-enterprise'),
    },
    'friendly-captcha': {
      CAPTCHA_PROVIDER: 'friendly-captcha',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys['friendly-captcha'],
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets['friendly-captcha'],
      CAPTCHA_VERIFY_URL: fake.verifyUrl('friendly-captcha'),
    },
    captchala: {
      CAPTCHA_PROVIDER: 'captchala',
      CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.captchala,
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.captchala,
      CAPTCHA_VERIFY_URL: fake.verifyUrl('captchala'),
    },
  });

  it.each([
    ['recaptcha-enterprise', /"malformed" \(MALFORMED\)/],
    ['friendly-captcha', /"invalid" \(response_invalid\)/],
    ['captchala', /"invalid" \(token_not_found\)/],
  ] as const)('passes %s with good keys (exit 0)', async (provider, verdict) => {
    const report = await runDoctor(envs()[provider]);
    expect(report).toMatchObject({ ok: true, exitCode: 0, provider });
    expect(check(report, 'provider').message).toMatch(verdict);
    expect(report.csp).toEqual(captchaCspDirectives(provider));
    expectNoSecrets(report, FakeCaptchaServer.secrets[provider]);
  });

  it('fails reCAPTCHA Enterprise on a project the key may not use, pointing at CAPTCHA_PROJECT_ID', async () => {
    const report = await runDoctor({
      ...envs()['recaptcha-enterprise'],
      CAPTCHA_PROJECT_ID: 'someone-elses-project',
    });
    expect(report.exitCode).toBe(1);
    expect(check(report, 'provider').message).toMatch(
      /rejected by recaptcha-enterprise: PERMISSION_DENIED.*CAPTCHA_PROJECT_ID/,
    );
  });

  it('reports a missing CAPTCHA_PROJECT_ID as a configuration error (exit 2)', async () => {
    const env: Record<string, string> = { ...envs()['recaptcha-enterprise'] };
    delete env.CAPTCHA_PROJECT_ID;
    const report = await runDoctor(env);
    expect(report.exitCode).toBe(2);
    expect(check(report, 'configuration').message).toContain(
      'CAPTCHA_PROJECT_ID: not set, but provider "recaptcha-enterprise" requires it',
    );
  });

  it('fails CaptchaLa on a wrong app secret (exit 1)', async () => {
    const report = await runDoctor({ ...envs().captchala, CAPTCHA_SECRET_KEY: 'wrong-app-secret' });
    expect(report.exitCode).toBe(1);
    expect(check(report, 'provider').message).toMatch(
      /secret or site key rejected by captchala: invalid_app_credentials/,
    );
    expectNoSecrets(report, 'wrong-app-secret');
  });
});

describe('runDoctor: configuration', () => {
  it('reports a bad variable with the library message and exit code 2', async () => {
    const report = await runDoctor(turnstile(fake, { CAPTCHA_TIMEOUT_MS: 'abc' }));
    expect(report).toMatchObject({ ok: false, exitCode: 2, provider: null, csp: null });
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ name: 'configuration', status: 'fail' });
    expect(report.checks[0].message).toContain('Invalid CAPTCHA configuration:');
    expect(report.checks[0].message).toContain(
      'CAPTCHA_TIMEOUT_MS: "abc" is not a whole number; accepted: an integer from 100 to 60000 (milliseconds)',
    );
    expect(fake.requests).toHaveLength(0);
    const text = formatDoctorReport(report);
    expect(text).toMatch(/^✗ configuration +Invalid CAPTCHA configuration:\n +CAPTCHA_TIMEOUT_MS/m);
    expect(text).toContain('BAD CONFIGURATION (exit code 2)');
  });
});

describe('runDoctor: ALTCHA', () => {
  it('round-trips a challenge and warns about the missing HMAC key outside production', async () => {
    const report = await runDoctor({});
    expect(report).toMatchObject({ ok: true, exitCode: 0, provider: 'altcha' });
    expect(check(report, 'altcha-hmac-key').status).toBe('warn');
    expect(check(report, 'altcha-round-trip')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('signed, solved and verified locally'),
      latencyMs: expect.any(Number),
    });
    expect(report.checks.map((c) => c.name)).not.toContain('provider');
    expect(report.csp).toEqual(captchaCspDirectives('altcha'));
    expect(formatDoctorReport(report)).toMatch(/^⚠ altcha-hmac-key/m);
  });

  it('passes every check with an HMAC key, even in production', async () => {
    const report = await runDoctor({
      CAPTCHA_ALTCHA_HMAC_KEY: HMAC_KEY,
      CAPTCHA_ENV: 'production',
    });
    expect(report.exitCode).toBe(0);
    expect(report.checks.every((c) => c.status === 'pass')).toBe(true);
    expectNoSecrets(report, HMAC_KEY);
  });

  it('refuses production without an HMAC key as a configuration error (exit 2)', async () => {
    const report = await runDoctor({ NODE_ENV: 'production' });
    expect(report.exitCode).toBe(2);
    expect(report.checks[0].message).toContain('CAPTCHA_ALTCHA_HMAC_KEY');
  });
});

describe('runDoctor: clearance key (CAPTCHA_CLEARANCE_TTL set)', () => {
  const CLEARANCE_KEY = 'Vt3qLx9ZpR7mWc2KfY8hNb4JdG6sQa1E'; // random, 32 characters
  const altcha = { CAPTCHA_ALTCHA_HMAC_KEY: HMAC_KEY };

  it('is not checked while clearance is off', async () => {
    const report = await runDoctor({ ...altcha, CAPTCHA_CLEARANCE_KEY: 'changeme' });
    expect(report.checks.map((c) => c.name)).not.toContain('clearance-key');
  });

  it('passes a strong key, never printing it', async () => {
    const report = await runDoctor({
      ...altcha,
      CAPTCHA_CLEARANCE_TTL: '900',
      CAPTCHA_CLEARANCE_KEY: CLEARANCE_KEY,
    });
    expect(check(report, 'clearance-key')).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/^CAPTCHA_CLEARANCE_KEY is set \(32\+ characters/),
    });
    expectNoSecrets(report, CLEARANCE_KEY);
  });

  it.each([
    ['missing', undefined, /^CAPTCHA_CLEARANCE_TTL is set but CAPTCHA_CLEARANCE_KEY is not/],
    [
      'a placeholder',
      'changeme-changeme-clearance-secret',
      /is weak \(it is mostly placeholder words/,
    ],
    ['a repeated pattern', 'ab12'.repeat(10), /is weak \(it repeats a short pattern\)/],
  ])(
    'warns outside production when the key is %s (exit 0), without quoting it',
    async (_, key, message) => {
      const env: Record<string, string> = { ...altcha, CAPTCHA_CLEARANCE_TTL: '900' };
      if (key !== undefined) env.CAPTCHA_CLEARANCE_KEY = key;
      const report = await runDoctor(env);
      expect(report.exitCode).toBe(0);
      const found = check(report, 'clearance-key');
      expect(found).toMatchObject({ status: 'warn', message: expect.stringMatching(message) });
      if (key !== undefined) expectNoSecrets(report, key);
    },
  );

  it('refuses a short key as a configuration error everywhere (exit 2), without quoting it', async () => {
    const key = 'Vt3qLx9ZpR7m';
    const report = await runDoctor({
      ...altcha,
      CAPTCHA_CLEARANCE_TTL: '900',
      CAPTCHA_CLEARANCE_KEY: key,
    });
    expect(report.exitCode).toBe(2);
    expect(report.checks[0].message).toContain('CAPTCHA_CLEARANCE_KEY');
    expectNoSecrets(report, key);
  });

  it('fails in production when the key is missing or weak, and passes a strong one', async () => {
    const production = { ...altcha, CAPTCHA_ENV: 'production', CAPTCHA_CLEARANCE_TTL: '900' };
    for (const key of [undefined, 'ab12'.repeat(10), 'changeme-changeme-clearance-secret']) {
      const env: Record<string, string> = { ...production };
      if (key !== undefined) env.CAPTCHA_CLEARANCE_KEY = key;
      const report = await runDoctor(env);
      expect(report.ok).toBe(false);
      // Refused by the configuration (exit 2) once its rules know the variable, else by this check.
      const refusal = report.checks.find((c) => c.status === 'fail')!;
      expect(refusal.message).toContain('CAPTCHA_CLEARANCE_KEY');
      if (key !== undefined) expectNoSecrets(report, key);
    }
    const good = await runDoctor({ ...production, CAPTCHA_CLEARANCE_KEY: CLEARANCE_KEY });
    expect(check(good, 'clearance-key').status).toBe('pass');
    expect(good.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });
});

describe('runDoctor: Redis', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('passes when Redis answers', async () => {
    const report = await runDoctor({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: redis.url });
    expect(report.exitCode).toBe(0);
    expect(check(report, 'redis')).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/^Redis reachable/),
      latencyMs: expect.any(Number),
    });
  });

  describe('maxmemory-policy', () => {
    let admin: Redis;
    beforeAll(() => {
      admin = new Redis(redis.url);
    });
    afterEach(async () => {
      await admin.config('SET', 'maxmemory', '0');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.acl('DELUSER', 'doctor');
    });
    afterAll(() => admin.disconnect());

    const evictionCheck = async (url = redis.url) =>
      check(await runDoctor({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: url }), 'redis-eviction');

    it('passes without maxmemory, or with noeviction', async () => {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect(await evictionCheck()).toMatchObject({
        status: 'pass',
        message: expect.stringMatching(/^maxmemory-policy allkeys-lru, maxmemory unset: /),
      });
      await admin.config('SET', 'maxmemory', '100mb');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      expect(await evictionCheck()).toMatchObject({
        status: 'pass',
        message: expect.stringMatching(/^maxmemory-policy noeviction, maxmemory 104857600: /),
      });
    });

    it('warns about volatile-* and fails allkeys-* under a maxmemory (exit 1)', async () => {
      await admin.config('SET', 'maxmemory', '100mb');
      await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
      expect(await evictionCheck()).toMatchObject({ status: 'warn' });
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const report = await runDoctor({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: redis.url });
      expect(report.exitCode).toBe(1);
      expect(check(report, 'redis-eviction')).toMatchObject({
        status: 'fail',
        message: expect.stringContaining('single-use claims included'),
      });
    });

    it('warns when CONFIG GET is not permitted, without the URL or its password', async () => {
      const password = 'doctor-acl-p4ssw0rd';
      await admin.acl('SETUSER', 'doctor', 'on', `>${password}`, '~*', '+@all', '-config');
      const url = redis.url.replace('redis://', `redis://doctor:${password}@`);
      const report = await runDoctor({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: url });
      expect(check(report, 'redis')).toMatchObject({ status: 'pass' });
      expect(check(report, 'redis-eviction')).toMatchObject({
        status: 'warn',
        message: expect.stringContaining('CONFIG GET is not permitted'),
      });
      expectNoSecrets(report, password, url);
    });
  });

  describe('persistence (a real redis-server started with and without it)', () => {
    const persistenceCheck = async (url: string) =>
      check(
        await runDoctor({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: url }),
        'redis-persistence',
      );

    it.each([
      ['aof', 'pass', /^appendonly yes \(appendfsync everysec\): claims survive a restart$/],
      ['rdb', 'warn', /^appendonly no, RDB snapshots only \(save 3600 1\): a restart loses/],
      ['none', 'warn', /^no persistence \(appendonly no, save ""\): a restart forgets every/],
    ] as const)('%s: %s', async (persistence, status, message) => {
      const server = await RedisServer.start({ persistence });
      try {
        const found = await persistenceCheck(server.url);
        expect(found).toMatchObject({ status, message: expect.stringMatching(message) });
        if (status === 'warn') expect(found.message).toContain('not ALTCHA');
      } finally {
        await server.stop();
      }
    });

    it('says so when CONFIG is not permitted, without the URL or its password; a replica is named', async () => {
      const server = await RedisServer.start({ persistence: 'none' });
      const replica = await RedisServer.start({ persistence: 'none' });
      const admin = new Redis(server.url);
      const replicaAdmin = new Redis(replica.url);
      try {
        await replicaAdmin.replicaof('127.0.0.1', server.port);
        await eventually(async () =>
          expect(await admin.info('replication')).toMatch(/^connected_slaves:1/m),
        );
        expect(await persistenceCheck(server.url)).toMatchObject({
          status: 'warn',
          message: expect.stringMatching(/^no persistence .*; 1 replica connected: /),
        });
        const password = 'doctor-persist-p4ssw0rd';
        await admin.acl('SETUSER', 'doctor', 'on', `>${password}`, '~*', '+@all', '-config');
        const url = server.url.replace('redis://', `redis://doctor:${password}@`);
        const report = await runDoctor({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: url });
        expect(report.exitCode).toBe(0);
        expect(check(report, 'redis-persistence')).toMatchObject({
          status: 'warn',
          message: expect.stringMatching(
            /^cannot tell whether Redis persists \(CONFIG GET is not permitted\); 1 replica connected/,
          ),
        });
        expectNoSecrets(report, password, url);
      } finally {
        admin.disconnect();
        replicaAdmin.disconnect();
        await replica.stop();
        await server.stop();
      }
    });
  });

  it('fails when Redis is down, without the URL or its password (exit 1)', async () => {
    const stopped = await RedisServer.start();
    await stopped.stop();
    const password = 'doctor-redis-p4ssw0rd';
    const url = `redis://:${password}@127.0.0.1:${stopped.port}`;
    const report = await runDoctor({ CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: url });
    expect(report.exitCode).toBe(1);
    expect(check(report, 'redis')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^Redis unreachable: /),
    });
    expectNoSecrets(report, password, url);
  });
});

describe('main', () => {
  const run = async (
    args: string[],
    env: Record<string, string | undefined> = {},
    cwd = join(BUILD_DIR, 'no-dotenv-here'),
  ) => {
    let stdout = '';
    let stderr = '';
    const code = await main(args, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env,
      cwd,
    });
    return { code, stdout, stderr };
  };

  /** A directory holding `.env` with `content`. */
  const appDir = (name: string, content: string) => {
    const dir = join(BUILD_DIR, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.env'), content);
    return dir;
  };

  it('prints the usage for --help (exit 0), and for bad usage on stderr (exit 2)', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, stdout: USAGE, stderr: '' });
    expect(await run(['help'])).toMatchObject({ code: 0, stdout: USAGE });
    for (const args of [[], ['cure'], ['doctor', '--colour'], ['doctor', 'extra']]) {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(USAGE);
    }
    expect(USAGE).toMatch(/0 +every check passed/);
    expect(USAGE).toMatch(/1 +a check failed/);
    expect(USAGE).toMatch(/2 +bad configuration/);
  });

  it('reads --dotenv <path>, the environment winning over it, and names the file', async () => {
    const dir = appDir('dotenv', 'CAPTCHA_TIMEOUT_MS=abc\nCAPTCHA_ENV=staging\nDATABASE_URL=x\n');
    const file = join(dir, '.env');
    const bad = await run(['doctor', '--json', '--dotenv', file]);
    expect(bad.code).toBe(2);
    const badReport = JSON.parse(bad.stdout) as DoctorReport;
    expect(badReport.checks[0].message).toContain('CAPTCHA_TIMEOUT_MS');
    expect(badReport.envFile).toEqual({
      path: file,
      variables: ['CAPTCHA_ENV', 'CAPTCHA_TIMEOUT_MS'],
      overridden: [],
    });
    const fixed = await run(['doctor', `--dotenv=${file}`], { CAPTCHA_TIMEOUT_MS: '2000' });
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/^OK: /m);
    expect(fixed.stdout).toContain(
      `read ${file} (CAPTCHA_ENV) under the process environment; the process environment overrides CAPTCHA_TIMEOUT_MS`,
    );
    const missing = await run(['doctor', '--dotenv', join(dir, 'nope.env')]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
    expect((await run(['doctor', '--dotenv'])).stderr).toContain('--dotenv needs a path');
  });

  it('refuses --env-file (Node 20 swallows it) with a pointer to --dotenv', async () => {
    const dir = appDir('env-file', 'CAPTCHA_TIMEOUT_MS=2000\n');
    for (const args of [
      ['doctor', '--env-file', join(dir, '.env')],
      ['doctor', `--env-file=${join(dir, '.env')}`],
    ]) {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('--env-file is a Node.js option');
      expect(result.stderr).toContain('use --dotenv <path>');
    }
    expect(USAGE).not.toContain('--env-file');
  });

  it("reads the app's ./.env by default (as @nestjs/config does), never printing its secrets", async () => {
    const dir = appDir(
      'default-dotenv',
      [
        'CAPTCHA_PROVIDER=turnstile',
        `CAPTCHA_SITE_KEY=${FakeCaptchaServer.siteKeys.turnstile}`,
        `CAPTCHA_SECRET_KEY=${FakeCaptchaServer.secrets.turnstile}`,
        `CAPTCHA_VERIFY_URL=${fake.verifyUrl('turnstile')}`,
        'CAPTCHA_TIMEOUT_MS=abc',
      ].join('\n'),
    );
    const env = { CAPTCHA_TIMEOUT_MS: '2500' };
    const text = await run(['doctor'], env, dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^nestjs-captcha doctor: provider turnstile\n/);
    expect(text.stdout).toContain(
      `read ${join(dir, '.env')} (CAPTCHA_PROVIDER, CAPTCHA_SECRET_KEY, CAPTCHA_SITE_KEY, CAPTCHA_VERIFY_URL) under the process environment; the process environment overrides CAPTCHA_TIMEOUT_MS`,
    );
    expect(text.stdout).toMatch(/timeout 2500 ms/);
    const json = JSON.parse((await run(['doctor', '--json'], env, dir)).stdout) as DoctorReport;
    expect(json).toMatchObject({ exitCode: 0, provider: 'turnstile' });
    expect(json.envFile?.path).toBe(join(dir, '.env'));
    for (const output of [text.stdout, JSON.stringify(json)]) {
      expect(output).not.toContain(FakeCaptchaServer.secrets.turnstile);
    }

    // --no-dotenv: the process environment only (ALTCHA by default), and the report says so.
    const none = await run(['doctor', '--no-dotenv'], {}, dir);
    expect(none.stdout).toMatch(/^nestjs-captcha doctor: provider altcha\n/);
    expect(none.stdout).toContain('read the process environment only (no .env file)');
    const noneJson = await run(['doctor', '--json', '--no-dotenv'], {}, dir);
    expect((JSON.parse(noneJson.stdout) as DoctorReport).envFile).toBeNull();
    expect((await run(['doctor', '--no-dotenv', '--dotenv', '.env'], {}, dir)).code).toBe(2);
  });

  it("reports the app's rules: a typo'd variable, a blank value, keys without a provider", async () => {
    const typo = appDir('typo', 'CAPTCHA_ALTCHA_HMAC_KEYS=abc\n');
    const warned = JSON.parse((await run(['doctor', '--json'], {}, typo)).stdout) as DoctorReport;
    expect(warned.exitCode).toBe(0);
    expect(check(warned, 'variables')).toEqual({
      name: 'variables',
      status: 'warn',
      message:
        'CAPTCHA_ALTCHA_HMAC_KEYS is set but is not a variable nestjs-captcha reads (did you mean CAPTCHA_ALTCHA_HMAC_KEY?)',
    });

    const blank = await run(['doctor'], {}, appDir('blank', 'CAPTCHA_PROVIDER=\n'));
    expect(blank.code).toBe(2);
    expect(blank.stdout).toContain('CAPTCHA_PROVIDER: is set but blank');

    const keys = await run(
      ['doctor'],
      { CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile },
      appDir('keys', `CAPTCHA_SITE_KEY=${FakeCaptchaServer.siteKeys.turnstile}\n`),
    );
    expect(keys.code).toBe(2);
    expect(keys.stdout).toContain(
      'CAPTCHA_PROVIDER: not set, but CAPTCHA_SITE_KEY and CAPTCHA_SECRET_KEY are',
    );
    expect(keys.stdout).not.toContain(FakeCaptchaServer.secrets.turnstile);

    const provider = await run(['doctor'], { CAPTCHA_PROVIDER: 'turnstil' });
    expect(provider.code).toBe(2);
    expect(provider.stdout).toContain(
      '"turnstil" is not a known provider (did you mean "turnstile"?)',
    );
  });
});

describe('the built CLI', () => {
  beforeAll(async () => {
    await buildCli(BUILD_DIR);
  }, 60_000);

  afterAll(() => rmSync(BUILD_DIR, { recursive: true, force: true }));

  it('runs `doctor --json` as a bin, with the exit code of the report', async () => {
    const env = { PATH: process.env.PATH, ...turnstile(fake) };
    const child = spawn(
      process.execPath,
      [join(BUILD_DIR, 'lib/cli/main.js'), 'doctor', '--json'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(stderr).toBe('');
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as DoctorReport;
    const inProcess = await runDoctor(env);
    const shape = (report: DoctorReport) => ({
      ...report,
      checks: report.checks.map(({ name, status }) => ({ name, status })),
    });
    expect(shape(printed)).toEqual(shape(inProcess));
    expect(printed.checks.find((c) => c.name === 'provider')?.latencyMs).toEqual(
      expect.any(Number),
    );
    expect(stdout).not.toContain(FakeCaptchaServer.secrets.turnstile);
  });

  /** Runs the built bin the way `npx nestjs-captcha …` does: `node main.js …`. */
  const spawnCli = async (args: string[], env: Record<string, string | undefined>, cwd: string) => {
    const child = spawn(process.execPath, [join(BUILD_DIR, 'lib/cli/main.js'), ...args], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  };

  it('reads ./.env by default and --dotenv <path> as a bin (Node does not take them), and refuses --env-file', async () => {
    const dir = join(BUILD_DIR, 'bin-app');
    mkdirSync(dir, { recursive: true });
    const lines = Object.entries(turnstile(fake)).map(([name, value]) => `${name}=${value}`);
    writeFileSync(join(dir, '.env'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'staging.env'), 'CAPTCHA_TIMEOUT_MS=2500\n');
    const env = { PATH: process.env.PATH };
    const real = realpathSync(dir); // node_modules may be a symlink; the child's cwd is real

    const byDefault = await spawnCli(['doctor', '--json'], env, dir);
    expect(byDefault).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(byDefault.stdout) as DoctorReport;
    expect(report).toMatchObject({ provider: 'turnstile', envFile: { path: join(real, '.env') } });
    expect(byDefault.stdout).not.toContain(FakeCaptchaServer.secrets.turnstile);

    const chosen = await spawnCli(['doctor', '--dotenv', 'staging.env'], env, dir);
    expect(chosen).toMatchObject({ code: 0, stderr: '' });
    expect(chosen.stdout).toContain(`read ${join(real, 'staging.env')} (CAPTCHA_TIMEOUT_MS)`);
    expect(chosen.stdout).toContain('provider altcha');

    // The file exists, so Node 20 does not exit 9 first; the doctor points at --dotenv.
    const nodeOption = await spawnCli(['doctor', '--env-file', 'staging.env'], env, dir);
    expect(nodeOption.code).toBe(2);
    expect(nodeOption.stderr).toContain('use --dotenv <path>');
  });
});

describe('runDoctor: client IP', () => {
  it.each<[string, Record<string, string>, DoctorCheck['status'], RegExp]>([
    [
      'no trusted proxy',
      {},
      'pass',
      /client IP: the socket address \(CAPTCHA_TRUST_PROXY not set.*IPv6 clients counted per \/64/,
    ],
    [
      'trusted proxies, a header and a prefix',
      {
        CAPTCHA_TRUST_PROXY: 'loopback, 10.0.0.0/8',
        CAPTCHA_CLIENT_IP_HEADER: 'CF-Connecting-IP',
        CAPTCHA_IPV6_PREFIX: '56',
      },
      'pass',
      /client IP: cf-connecting-ip, else X-Forwarded-For from trusted proxies \(loopback, 10\.0\.0\.0\/8\); IPv6 clients counted per \/56/,
    ],
    [
      'trust everyone',
      { CAPTCHA_TRUST_PROXY: 'true' },
      'warn',
      /CAPTCHA_TRUST_PROXY=true trusts every hop: any client can choose its IP/,
    ],
    [
      'a hop count with a header',
      { CAPTCHA_TRUST_PROXY: '1', CAPTCHA_CLIENT_IP_HEADER: 'x-real-ip' },
      'warn',
      /a client reaching the app directly can set x-real-ip/,
    ],
  ])('%s', async (_name, vars, status, message) => {
    const report = await runDoctor(turnstile(fake, vars));
    const found = check(report, 'client-ip');
    expect(found.status).toBe(status);
    expect(found.message).toMatch(message);
    expect(report.exitCode).toBe(0);
  });

  it('a header without a trusted proxy fails (exit 2: the module refuses it)', async () => {
    const report = await runDoctor(
      turnstile(fake, { CAPTCHA_CLIENT_IP_HEADER: 'cf-connecting-ip' }),
    );
    expect(check(report, 'client-ip')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('the header would never be read'),
    });
    expect(report.exitCode).toBe(2);
  });
});
