import type { TestingModule } from '@nestjs/testing';
import type { CaptchaModuleOptions, CaptchaVerifier } from 'nestjs-captcha';
import {
  FakeCaptchaServer,
  type FakeProviderName,
  type RecordedRequest,
} from 'nestjs-captcha/testing';
import { createVerifier } from './create-verifier';

/** What a provider spec works with once its fixture has started. */
export interface ProviderFixture {
  /** The fake provider, reset after each test. */
  readonly fake: FakeCaptchaServer;
  /** The verifier of the file, built once with `verifierOptions`. */
  readonly verifier: CaptchaVerifier;
  /** The module options for this provider on the fake, with `overrides` on top. */
  options(overrides?: Partial<CaptchaModuleOptions>): CaptchaModuleOptions;
  /** Another verifier with its own store, closed after the test. */
  build(overrides?: Partial<CaptchaModuleOptions>): Promise<CaptchaVerifier>;
  /** A verifier from exactly `options` (not this provider's), closed after the test. */
  buildFrom(options: CaptchaModuleOptions): Promise<CaptchaVerifier>;
  /** The last request the fake received. */
  lastRequest(): RecordedRequest;
}

export interface ProviderFixtureSetup {
  /** Options this provider needs besides keys and route (a project id, a backup URL…). */
  extraOptions?: (fake: FakeCaptchaServer) => Partial<CaptchaModuleOptions>;
  /** Options of the file's own verifier. Default: hostnames `localhost` and `app.example.com`. */
  verifierOptions?: Partial<CaptchaModuleOptions>;
}

/**
 * Registers the hooks of a provider spec — a `FakeCaptchaServer`, a real verifier talking HTTP to
 * it, verifiers built per test closed after it, the fake reset after each test — and returns what
 * the tests use. Call it at the top of a `describe`; read `fake` and `verifier` inside tests.
 */
export function providerFixture(
  provider: Exclude<FakeProviderName, 'altcha'>,
  setup: ProviderFixtureSetup = {},
): ProviderFixture {
  let fake: FakeCaptchaServer | undefined;
  let verifier: CaptchaVerifier | undefined;
  let moduleRef: TestingModule | undefined;
  const extraModules: TestingModule[] = [];
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('providerFixture: used before its beforeAll ran');
    return value;
  };

  const options = (overrides: Partial<CaptchaModuleOptions> = {}): CaptchaModuleOptions => {
    const server = started(fake);
    const extra = setup.extraOptions?.(server) ?? {};
    const merged: CaptchaModuleOptions = {
      provider,
      siteKey: FakeCaptchaServer.siteKeys[provider],
      secretKey: FakeCaptchaServer.secrets[provider],
      verifyUrl: server.verifyUrl(provider),
      // Room for a cold first call on a loaded 2-core CI machine; the hang tests wait it out.
      timeoutMs: 1_000,
      // These suites provoke many outages on one verifier; circuits have their own spec.
      circuitBreaker: false,
      ...extra,
      ...overrides,
    };
    // Provider settings are one object: an override of one setting keeps the others.
    if (extra.captchala && overrides.captchala) {
      merged.captchala = { ...extra.captchala, ...overrides.captchala };
    }
    return merged;
  };

  const buildFrom = async (exact: CaptchaModuleOptions) => {
    const built = await createVerifier(exact);
    extraModules.push(built.moduleRef);
    return built.verifier;
  };

  beforeAll(async () => {
    fake = await FakeCaptchaServer.start();
    ({ verifier, moduleRef } = await createVerifier(
      options(setup.verifierOptions ?? { expectedHostnames: ['localhost', 'app.example.com'] }),
    ));
  });
  afterEach(async () => {
    fake?.reset();
    await Promise.all(extraModules.splice(0).map((m) => m.close()));
  });
  afterAll(async () => {
    await moduleRef?.close();
    await fake?.close();
  });

  return {
    get fake() {
      return started(fake);
    },
    get verifier() {
      return started(verifier);
    },
    options,
    build: (overrides = {}) => buildFrom(options(overrides)),
    buildFrom,
    lastRequest: () => {
      const { requests } = started(fake);
      return requests[requests.length - 1];
    },
  };
}
