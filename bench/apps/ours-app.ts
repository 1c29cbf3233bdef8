import {
  type CallHandler,
  Controller,
  HttpCode,
  Injectable,
  Module,
  type NestInterceptor,
  Post,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  CaptchaExceptionFilter,
  CaptchaGuard,
  CaptchaModule,
  CaptchaRequirement,
  failedAttempts,
  RequireCaptcha,
} from 'nestjs-captcha';
import { installPrototypeTransport } from '../diag/prototype-transport';
import { RECAPTCHA_TEST_SECRET, RECAPTCHA_TEST_SITE_KEY } from '../support/recaptcha-keys';
import { benchConfig, serveApp } from './serve-app';

/** What the runner configures in this app. */
export interface OursAppConfig {
  verifyUrl: string;
  store?: 'memory' | 'redis';
  redisUrl?: string;
  timeoutMs?: number;
  circuitBreaker?: false | { threshold: number; halfOpenAfterMs: number };
  maxEntries?: number;
  /** `BENCH_DIAG=1`: swap in the proposed provider transport (bench/diag/prototype-transport.ts). */
  prototypeTransport?: boolean;
}

const config = benchConfig<OursAppConfig>();
if (config.prototypeTransport) installPrototypeTransport();

/** Passes everything through: what any interceptor costs in Nest, whatever it does. */
@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

/** Lets everything through at once: what Nest's guard machinery alone costs a route. */
@Injectable()
class PassGuard {
  canActivate() {
    return true;
  }
}

const LOGIN_CONDITION = failedAttempts({ threshold: 3, window: '15m', per: 'ip' });

/**
 * The same login-like handler several ways: bare, behind a calm condition, always verified; and,
 * for `BENCH_DIAG=1`, the pieces of `@RequireCaptcha` apart (a no-op interceptor alone, the guard
 * alone).
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

  /**
   * Diagnostic: `/verify` without the outcome interceptor, which `@RequireCaptcha` applies even
   * when no condition has outcome hooks (here: none, every request is verified).
   */
  @Post('verify-lean')
  @HttpCode(200)
  @CaptchaRequirement({ action: 'login' })
  @UseGuards(CaptchaGuard)
  @UseFilters(CaptchaExceptionFilter)
  verifyLean() {
    return { ok: true };
  }

  /** Diagnostic: the bare handler behind a pass-through interceptor. */
  @Post('bare-intercepted')
  @HttpCode(200)
  @UseInterceptors(NoopInterceptor)
  bareIntercepted() {
    return { ok: true };
  }

  /** Diagnostic: the bare handler behind a guard that returns `true` at once. */
  @Post('pass-guard')
  @HttpCode(200)
  @UseGuards(PassGuard)
  passGuard() {
    return { ok: true };
  }

  /** Diagnostic: `/guarded` without the outcome interceptor and the filter (the guard alone). */
  @Post('guard-only')
  @HttpCode(200)
  @CaptchaRequirement({ action: 'login', when: LOGIN_CONDITION })
  @UseGuards(CaptchaGuard)
  guardOnly() {
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
      provider: 'recaptcha',
      siteKey: RECAPTCHA_TEST_SITE_KEY,
      secretKey: RECAPTCHA_TEST_SECRET,
      verifyUrl: config.verifyUrl,
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
