import {
  Body,
  Controller,
  HttpCode,
  type INestApplication,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { failedAttempts, RequireCaptcha, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { createCaptchaApp, type HttpAdapterName } from './create-app';
import type { RedisServer } from './redis-server';

/** The sample's sign-in policy, as the README shows it: a challenge after 3 failures per IP. */
export const THRESHOLD = 3;

/** Two accounts: the victim's (the attacker guesses) and the attacker's own (they know it). */
export const VICTIM = { email: 'victim@example.com', password: 'victim-secret' };
export const ATTACKER = { email: 'attacker@example.com', password: 'attackers-own' };
const PASSWORDS: Record<string, string> = {
  [VICTIM.email]: VICTIM.password,
  [ATTACKER.email]: ATTACKER.password,
};

/** A sign-in like the sample's; the password check takes a few ms, like a real hash would. */
@Controller()
export class BruteForceLoginController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: THRESHOLD, window: '15m', per: 'ip' }),
  })
  async login(@Body() body: { email?: string; password?: string }) {
    await sleep(5);
    if (!body.email || PASSWORDS[body.email] !== body.password) {
      throw new UnauthorizedException();
    }
    return { ok: true };
  }

  @Post('login-by-exception')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({
      threshold: THRESHOLD,
      window: '15m',
      per: 'ip',
      countOn: [UnauthorizedException],
    }),
  })
  loginByException(@Body() body: { email?: string; password?: string }) {
    return this.login(body);
  }
}

/**
 * The two ways the outcome reaches the condition: the guard reading the response's status (the
 * default `countOn: [401]`), and the outcome interceptor (a `countOn` naming an exception class,
 * as on GraphQL resolvers and gateways).
 */
export const REPORTING_PATHS = [
  { reporting: 'status', path: '/login' },
  { reporting: 'interceptor', path: '/login-by-exception' },
] as const;

/** The Redis store's command timeout in these apps (see {@link bruteForceOptions}). */
export const STORE_COMMAND_TIMEOUT_MS = 1_000;

/** Module options for an app verifying with the fake Turnstile, on memory or a real Redis. */
export function bruteForceOptions(
  fake: FakeCaptchaServer,
  redis?: { server: RedisServer; keyPrefix: string },
): CaptchaModuleOptions {
  return {
    provider: 'turnstile',
    siteKey: FakeCaptchaServer.siteKeys.turnstile,
    secretKey: FakeCaptchaServer.secrets.turnstile,
    verifyUrl: fake.verifyUrl('turnstile'),
    trustProxy: 'loopback',
    ...(redis
      ? {
          store: 'redis',
          // Generous: a busy test machine must not turn a slow scheduler into a store failure
          // (503) in the middle of a burst. The 100 ms default is held to in redis-captcha-store.spec.
          redis: {
            url: redis.server.url,
            keyPrefix: redis.keyPrefix,
            commandTimeoutMs: STORE_COMMAND_TIMEOUT_MS,
          },
        }
      : { store: 'memory' }),
  };
}

/** Boots `count` app instances of the sign-in, sharing the store when it is Redis. */
export async function bootLoginApps(
  count: number,
  options: CaptchaModuleOptions,
  adapter: HttpAdapterName,
): Promise<INestApplication[]> {
  const apps: INestApplication[] = [];
  for (let i = 0; i < count; i++) {
    apps.push(await createCaptchaApp(options, [BruteForceLoginController], adapter));
  }
  return apps;
}

/** One sign-in attempt from `ip` (the app trusts the loopback proxy's X-Forwarded-For). */
export function attempt(
  app: INestApplication,
  ip: string,
  body: Record<string, unknown>,
  path = '/login',
): Promise<request.Response> {
  return request(app.getHttpServer()).post(path).set('x-forwarded-for', ip).send(body);
}
