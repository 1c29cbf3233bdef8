import { Test } from '@nestjs/testing';
import {
  CaptchaModule,
  captchaOptionsFromEnv,
  type CaptchaModuleOptions,
  type CaptchaProviderName,
} from 'nestjs-captcha';
import { CaptchaTestingModule, FakeCaptchaServer } from 'nestjs-captcha/testing';
import { runDoctor } from '../../lib/cli/doctor';
import { runFakeProvider } from '../../lib/cli/fake-provider';
import { PROVIDER_TEST_KEYS } from '../../lib/cli/provider-test-keys';

/**
 * Attack (operator error an attacker profits from): a deployment keeps a provider's public
 * always-pass test keys (copied from the docs into a staging env file, then promoted). Every token
 * then passes: the CAPTCHA protects nothing. In production these keys must stop start-up, whatever
 * the casing or whitespace of NODE_ENV / CAPTCHA_ENV, unless explicitly allowed for staging.
 */

type Signals = { NODE_ENV?: string; CAPTCHA_ENV?: string; environment?: string };

/** Ways a production deployment says so, odd casing and whitespace included. */
const PRODUCTION: [string, Signals][] = [
  ['NODE_ENV=production', { NODE_ENV: 'production' }],
  ["NODE_ENV=' Production '", { NODE_ENV: ' Production ' }],
  ['CAPTCHA_ENV=PRODUCTION', { CAPTCHA_ENV: 'PRODUCTION' }],
  ["CAPTCHA_ENV='\\tproduction\\n'", { CAPTCHA_ENV: '\tproduction\n' }],
  ["environment: 'Production'", { environment: 'Production' }],
];

interface KeyCase {
  provider: CaptchaProviderName;
  kind: 'site key' | 'secret';
  key: string;
  owner: RegExp;
}

const OWNERS: Partial<Record<CaptchaProviderName, RegExp>> = {
  turnstile: /Cloudflare Turnstile/,
  recaptcha: /Google reCAPTCHA/,
  hcaptcha: /hCaptcha/,
};

/** Every public test site key and secret of every provider that has some. */
const CASES: KeyCase[] = (
  Object.entries(PROVIDER_TEST_KEYS) as [
    CaptchaProviderName,
    (typeof PROVIDER_TEST_KEYS)['turnstile'],
  ][]
).flatMap(([provider, keys]) => [
  ...Object.keys(keys!.siteKeys).map((key) => ({
    provider,
    kind: 'site key' as const,
    key,
    owner: OWNERS[provider]!,
  })),
  ...Object.keys(keys!.secrets).map((key) => ({
    provider,
    kind: 'secret' as const,
    key,
    owner: OWNERS[provider]!,
  })),
]);

/** The options with one test key in place of the provider's real-looking one. */
function optionsWith(c: KeyCase): CaptchaModuleOptions {
  return {
    provider: c.provider,
    siteKey: c.kind === 'site key' ? c.key : FakeCaptchaServer.siteKeys[c.provider as 'turnstile'],
    secretKey: c.kind === 'secret' ? c.key : FakeCaptchaServer.secrets[c.provider as 'turnstile'],
  };
}

/** Runs `fn` with NODE_ENV / CAPTCHA_ENV set as given (unset otherwise), then restores them. */
async function withEnv<T>(signals: Signals, fn: () => Promise<T>): Promise<T> {
  const saved = { NODE_ENV: process.env.NODE_ENV, CAPTCHA_ENV: process.env.CAPTCHA_ENV };
  for (const name of ['NODE_ENV', 'CAPTCHA_ENV'] as const) {
    if (signals[name] === undefined) delete process.env[name];
    else process.env[name] = signals[name];
  }
  try {
    return await fn();
  } finally {
    for (const name of ['NODE_ENV', 'CAPTCHA_ENV'] as const) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

/** Boots the module as an app would; the error that stopped it, or `undefined` when it started. */
async function startUp(
  options: CaptchaModuleOptions,
  signals: Signals,
): Promise<Error | undefined> {
  const withEnvironment =
    signals.environment === undefined ? options : { ...options, environment: signals.environment };
  return withEnv(signals, async () => {
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [CaptchaModule.forRoot(withEnvironment)],
      }).compile();
      await moduleRef.close();
      return undefined;
    } catch (error) {
      return error as Error;
    }
  });
}

describe('public test keys in production', () => {
  it(`stops start-up for each of the ${CASES.length} public test keys (before: all started)`, async () => {
    const started: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const [label, signals] = PRODUCTION[i % PRODUCTION.length];
      const error = await startUp(optionsWith(c), signals);
      if (error === undefined) {
        started.push(`${c.provider} ${c.kind} ${c.key} under ${label}`);
        continue;
      }
      expect(error.name).toBe('CaptchaConfigError');
      const path = c.kind === 'site key' ? 'options.siteKey' : 'options.secretKey';
      expect(error.message).toContain(path);
      expect(error.message).toMatch(c.owner);
      expect(error.message).toContain(`public test ${c.kind}`);
      expect(error.message).toContain('refused in production');
      // Secrets are never printed, not even public test ones; nor the real secret beside them.
      if (c.kind === 'secret') expect(error.message).not.toContain(c.key);
      const secret = optionsWith(c).secretKey as string;
      expect(error.message).not.toContain(secret);
    }
    expect(started).toEqual([]);
  });

  it.each(PRODUCTION)('recognises production from %s', async (_label, signals) => {
    const turnstile = PROVIDER_TEST_KEYS.turnstile!;
    const error = await startUp(
      { ...optionsWith(CASES[0]), siteKey: Object.keys(turnstile.siteKeys)[0] },
      signals,
    );
    expect(error?.message).toMatch(
      /options\.siteKey \(CAPTCHA_SITE_KEY\) "1x00000000000000000000AA" is Cloudflare Turnstile's public test site key \("always passes"\)/,
    );
  });

  it('starts outside production (development, test, unset)', async () => {
    for (const signals of [{ NODE_ENV: 'development' }, { NODE_ENV: 'test' }, {}]) {
      for (const c of CASES) expect(await startUp(optionsWith(c), signals)).toBeUndefined();
    }
  });

  it('starts in production with the staging switch: allowTestKeys: true', async () => {
    for (const c of CASES) {
      const options = { ...optionsWith(c), allowTestKeys: true } as CaptchaModuleOptions;
      expect(await startUp(options, { NODE_ENV: 'production' })).toBeUndefined();
    }
  });

  it('starts in production with the staging switch: CAPTCHA_ALLOW_TEST_KEYS=true', async () => {
    const turnstile = PROVIDER_TEST_KEYS.turnstile!;
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SITE_KEY: Object.keys(turnstile.siteKeys)[0],
      CAPTCHA_SECRET_KEY: Object.keys(turnstile.secrets)[0],
    };
    expect(() => captchaOptionsFromEnv({ get: (key) => env[key] })).toThrow(
      /CAPTCHA_SITE_KEY: "1x00000000000000000000AA" is Cloudflare Turnstile's public test site key/,
    );
    const allowed = captchaOptionsFromEnv({
      get: (key) => ({ ...env, CAPTCHA_ALLOW_TEST_KEYS: ' TRUE ' })[key],
    });
    expect((allowed as { allowTestKeys?: boolean }).allowTestKeys).toBe(true);
    expect(await startUp(allowed, { NODE_ENV: 'production' })).toBeUndefined();
    expect(() =>
      captchaOptionsFromEnv({ get: (key) => ({ ...env, CAPTCHA_ALLOW_TEST_KEYS: 'yes' })[key] }),
    ).toThrow(/CAPTCHA_ALLOW_TEST_KEYS: "yes" is not true or false/);
  });

  it('checks the fallback provider and the named providers too', async () => {
    const hcaptcha = PROVIDER_TEST_KEYS.hcaptcha!;
    const recaptcha = PROVIDER_TEST_KEYS.recaptcha!;
    const options: CaptchaModuleOptions = {
      provider: 'turnstile',
      siteKey: FakeCaptchaServer.siteKeys.turnstile,
      secretKey: FakeCaptchaServer.secrets.turnstile,
      failureMode: 'fallback',
      fallback: {
        provider: 'hcaptcha',
        siteKey: Object.keys(hcaptcha.siteKeys)[0],
        secretKey: FakeCaptchaServer.secrets.hcaptcha,
      },
      providers: [
        {
          provider: 'recaptcha',
          siteKey: FakeCaptchaServer.siteKeys.recaptcha,
          secretKey: Object.keys(recaptcha.secrets)[0],
        },
      ],
    };
    const error = await startUp(options, { CAPTCHA_ENV: 'Production' });
    expect(error?.message).toMatch(
      /options\.fallback\.siteKey "10000000-ffff-ffff-ffff-000000000001" is hCaptcha's public test site key/,
    );
    expect(error?.message).toMatch(
      /options\.providers\[0\]\.secretKey is Google reCAPTCHA's public test secret/,
    );
    expect(error?.message).not.toContain(Object.keys(recaptcha.secrets)[0]);
    expect(error?.message).not.toContain(FakeCaptchaServer.secrets.turnstile);
  });

  it.each(PRODUCTION)('CaptchaTestingModule refuses to load under %s', async (_label, signals) => {
    await withEnv(signals, async () => {
      expect(() => CaptchaTestingModule.forRoot({ environment: signals.environment })).toThrow(
        /CaptchaTestingModule refuses to load in production/,
      );
    });
  });

  it.each(PRODUCTION)('CaptchaTestingModule.override refuses under %s', async (_label, signals) => {
    await withEnv(signals, async () => {
      const builder = {
        overrideProvider: () => {
          throw new Error('must refuse before overriding anything');
        },
      };
      expect(() =>
        CaptchaTestingModule.override(builder, { environment: signals.environment }),
      ).toThrow(/CaptchaTestingModule refuses to load in production/);
    });
  });

  it.each(PRODUCTION.filter(([, signals]) => signals.environment === undefined))(
    'nestjs-captcha fake-provider (a token minter) refuses to start under %s',
    async (_label, signals) => {
      let stderr = '';
      const code = await runFakeProvider(['--port', '0'], {
        stdout: { write: () => undefined },
        stderr: { write: (text: string) => (stderr += text) },
        env: { NODE_ENV: signals.NODE_ENV, CAPTCHA_ENV: signals.CAPTCHA_ENV },
      });
      expect(code).toBe(2);
      expect(stderr).toMatch(/refuses to start in production/);
    },
  );

  it('doctor fails the test-keys check under the same rule, and only warns with the staging switch', async () => {
    const turnstile = PROVIDER_TEST_KEYS.turnstile!;
    const env = {
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SITE_KEY: Object.keys(turnstile.siteKeys)[0],
      CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile,
      // Nothing listens here: the provider check fails fast, the test-keys check is what counts.
      CAPTCHA_VERIFY_URL: 'http://127.0.0.1:9/siteverify',
      CAPTCHA_TIMEOUT_MS: '200',
    };
    for (const signals of [{ NODE_ENV: ' Production ' }, { CAPTCHA_ENV: 'PRODUCTION' }]) {
      const report = await runDoctor({ ...env, ...signals });
      expect(report.production).toBe(true);
      const check = report.checks.find((c) => c.name === 'test-keys');
      expect(check?.status).toBe('fail');
      expect(report.exitCode).not.toBe(0);
    }
    const staging = await runDoctor({
      ...env,
      NODE_ENV: 'production',
      CAPTCHA_ALLOW_TEST_KEYS: 'true',
    });
    expect(staging.checks.find((c) => c.name === 'test-keys')?.status).toBe('warn');
  });
});
