import { Controller, HttpCode, Injectable, Module, Post, UseGuards } from '@nestjs/common';
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
}

const config = benchConfig<OursAppConfig>();

/** Lets everything through at once: what Nest's guard machinery alone costs a route. */
@Injectable()
class PassGuard {
  canActivate() {
    return true;
  }
}

const LOGIN_CONDITION = failedAttempts({ threshold: 3, window: '15m', per: 'ip' });

/**
 * The same login-like handler several ways: bare, behind a calm condition, behind a guard that
 * does nothing (the reference for scenario 1), always verified.
 */
@Controller()
class BenchController {
  @Post('bare')
  @HttpCode(200)
  bare() {
    return { ok: true };
  }

  /** Challenged only after 3 failed sign-ins (401) from the IP: never, in the bench. */
  @Post('guarded')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: LOGIN_CONDITION })
  guarded() {
    return { ok: true };
  }

  /** Reference: the bare handler behind a guard that returns `true` at once. */
  @Post('pass-guard')
  @HttpCode(200)
  @UseGuards(PassGuard)
  passGuard() {
    return { ok: true };
  }

  /** Always verified with reCAPTCHA v2 (token in `g-recaptcha-response`). */
  @Post('verify')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  verify() {
    return { ok: true };
  }
}

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
  controllers: [BenchController],
})
class OursAppModule {}

serveApp(OursAppModule);
