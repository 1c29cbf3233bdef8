import {
  Controller,
  HttpCode,
  Injectable,
  Module,
  Post,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { CaptchaModule, failedAttempts, RequireCaptcha } from 'nestjs-captcha';
import { recaptchaTestOptions } from '../support/recaptcha-keys';
import { benchConfig, serveApp } from './serve-app';

/** What the runner configures in this app. */
export interface OursAppConfig {
  verifyUrl: string;
  store?: 'memory' | 'redis';
  redisUrl?: string;
  timeoutMs?: number;
  circuitBreaker?: false | { threshold: number; halfOpenAfterMs: number };
  maxEntries?: number;
  /**
   * The routes this process serves, in this order (default: all). Each app is measured on its
   * first route, as the peer and floor apps are: Express tries routes in order, so a route
   * behind others pays for their failed matches.
   */
  routes?: BenchRoute[];
}

/** The routes of this app. */
export type BenchRoute = 'bare' | 'guarded' | 'pass-guard' | 'verify';

const config = benchConfig<OursAppConfig>();

/** Lets everything through at once: what Nest's guard machinery alone costs a route. */
@Injectable()
class PassGuard {
  canActivate() {
    return true;
  }
}

/**
 * A login-like condition that stays calm under the bench's load. Every attempt in flight counts
 * against the threshold (so a burst cannot race past it), and the load is 50 connections from one
 * IP: at `threshold: 3` they would be challenged. A calm request costs the same at any threshold
 * (one increment, one refund).
 */
const LOGIN_CONDITION = failedAttempts({ threshold: 1_000, window: '15m', per: 'ip' });

/** The login-like handler, bare: the reference for scenario 1. */
@Controller()
class BareController {
  @Post('bare')
  @HttpCode(200)
  bare() {
    return { ok: true };
  }
}

/** Challenged only after 1,000 failed sign-ins (401) from the IP: never, in the bench. */
@Controller()
class GuardedController {
  @Post('guarded')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: LOGIN_CONDITION })
  guarded() {
    return { ok: true };
  }
}

/** Reference: the bare handler behind a guard that returns `true` at once. */
@Controller()
class PassGuardController {
  @Post('pass-guard')
  @HttpCode(200)
  @UseGuards(PassGuard)
  passGuard() {
    return { ok: true };
  }
}

/** Always verified with reCAPTCHA v2 (token in `g-recaptcha-response`). */
@Controller()
class VerifyController {
  @Post('verify')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  verify() {
    return { ok: true };
  }
}

const CONTROLLERS: Record<BenchRoute, Type> = {
  bare: BareController,
  guarded: GuardedController,
  'pass-guard': PassGuardController,
  verify: VerifyController,
};

@Module({
  imports: [
    CaptchaModule.forRoot({
      ...recaptchaTestOptions(config.verifyUrl),
      store: config.store ?? 'memory',
      ...(config.redisUrl ? { redis: { url: config.redisUrl } } : {}),
      memory: { maxEntries: config.maxEntries ?? 100_000 },
      ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
      ...(config.circuitBreaker !== undefined ? { circuitBreaker: config.circuitBreaker } : {}),
    }),
  ],
  controllers: (config.routes ?? (Object.keys(CONTROLLERS) as BenchRoute[])).map(
    (route) => CONTROLLERS[route],
  ),
})
class OursAppModule {}

serveApp(OursAppModule);
