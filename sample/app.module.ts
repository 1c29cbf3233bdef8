import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CaptchaModule, captchaOptionsFromEnv } from 'nestjs-captcha';
import { AuthModule } from './auth/auth.module';
import { HealthController } from './health/health.controller';
import { LoginPageController } from './login/login-page.controller';
import { MetricsController } from './metrics/metrics.controller';

/**
 * The sample: ALTCHA and the memory store with no environment at all; any provider through the
 * `CAPTCHA_*` variables.
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
  ],
  controllers: [LoginPageController, HealthController, MetricsController],
})
export class AppModule {}
