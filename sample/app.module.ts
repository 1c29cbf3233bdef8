import { Module, ValidationPipe } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { CaptchaExceptionFilter, CaptchaModule, captchaOptionsFromEnv } from 'nestjs-captcha';
import { AuthModule } from './auth/auth.module';
import { CommentsModule } from './comments/comments.module';
import { HealthController } from './health/health.controller';
import { LoginPageController } from './login/login-page.controller';
import { MetricsController } from './metrics/metrics.controller';

/**
 * The sample: ALTCHA and the memory store with no environment at all; any provider through the
 * `CAPTCHA_*` variables. Global: the strict `ValidationPipe` most apps use (the checkpoint removes
 * the CAPTCHA fields it consumed, so DTOs never declare them) and `CaptchaExceptionFilter`, which
 * answers a service's own verification (`POST /comments`) as the guard would.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    CaptchaModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        ...captchaOptionsFromEnv(config),
        metrics: 'prometheus' as const,
        environment: config.get('CAPTCHA_ENV') ?? 'development',
      }),
    }),
    AuthModule,
    CommentsModule,
  ],
  controllers: [LoginPageController, HealthController, MetricsController],
  providers: [
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }),
    },
    { provide: APP_FILTER, useClass: CaptchaExceptionFilter },
  ],
})
export class AppModule {}
