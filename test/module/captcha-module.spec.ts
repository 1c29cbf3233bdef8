import { BadRequestException, Controller, Injectable, Module, Post } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CaptchaConfigError,
  CaptchaModule,
  CaptchaVerifier,
  captchaOptionsFromEnv,
  RequireCaptcha,
  type CaptchaModuleOptions,
  type CaptchaOptionsFactory,
} from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';
import { ADAPTERS, startApp } from '../support/create-app';
import { FAST_ALTCHA } from '../support/solve-altcha';

const ALTCHA: CaptchaModuleOptions = { provider: 'altcha', altcha: FAST_ALTCHA };

@Injectable()
class CaptchaConfigFactory implements CaptchaOptionsFactory {
  createCaptchaOptions(): CaptchaModuleOptions {
    return { ...ALTCHA, minScore: 0.7 };
  }
}

@Module({ providers: [CaptchaConfigFactory], exports: [CaptchaConfigFactory] })
class FactoryModule {}

describe('CaptchaModule registration', () => {
  const verifierOf = async (imports: unknown[]) => {
    const moduleRef = await Test.createTestingModule({ imports: imports as never[] }).compile();
    return { moduleRef, verifier: moduleRef.get(CaptchaVerifier) };
  };

  it('forRoot registers the verifier with the given provider', async () => {
    const { moduleRef, verifier } = await verifierOf([CaptchaModule.forRoot(ALTCHA)]);
    expect(verifier.providerName).toBe('altcha');
    await moduleRef.close();
  });

  it('forRootAsync with useFactory reads the environment through ConfigService', async () => {
    const { moduleRef, verifier } = await verifierOf([
      ConfigModule.forRoot({
        ignoreEnvFile: true,
        load: [
          () => ({
            CAPTCHA_PROVIDER: 'hcaptcha',
            CAPTCHA_SITE_KEY: 'site-key-123',
            CAPTCHA_SECRET_KEY: '0xsecret-abcdef',
          }),
        ],
      }),
      CaptchaModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => captchaOptionsFromEnv(config),
      }),
    ]);
    expect(verifier.providerName).toBe('hcaptcha');
    expect(verifier.siteKey).toBe('site-key-123');
    await moduleRef.close();
  });

  it('forRootAsync with useClass and useExisting build the options from a factory class', async () => {
    const viaClass = await verifierOf([
      CaptchaModule.forRootAsync({ useClass: CaptchaConfigFactory }),
    ]);
    expect(viaClass.verifier.providerName).toBe('altcha');
    await viaClass.moduleRef.close();
    const viaExisting = await verifierOf([
      CaptchaModule.forRootAsync({ imports: [FactoryModule], useExisting: CaptchaConfigFactory }),
    ]);
    expect(viaExisting.verifier.providerName).toBe('altcha');
    await viaExisting.moduleRef.close();
  });

  it('stops start-up with CaptchaConfigError on bad options, naming the option and never the secret', async () => {
    const compile = Test.createTestingModule({
      imports: [
        CaptchaModule.forRoot({
          provider: 'turnstile',
          secretKey: 'sk_live_TOPSECRET',
          timeoutMs: -5,
        }),
      ],
    }).compile();
    const error = await compile.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CaptchaConfigError);
    expect((error as Error).message).toMatch(/timeoutMs/);
    expect((error as Error).message).toMatch(/siteKey/);
    expect((error as Error).message).not.toContain('sk_live_TOPSECRET');
  });

  it.each(ADAPTERS)(
    'is global by default, so feature modules use the guard without importing it (%s)',
    async (adapter) => {
      @Controller()
      class FeatureController {
        @Post('x')
        @RequireCaptcha({ action: 'x' })
        x() {
          return { ok: true };
        }
      }
      @Module({ controllers: [FeatureController] })
      class FeatureModule {}
      const moduleRef = await Test.createTestingModule({
        imports: [CaptchaModule.forRoot(ALTCHA), FeatureModule],
      }).compile();
      const app = await startApp(moduleRef, adapter, { listen: false });
      await request(app.getHttpServer()).post('/x').send({}).expect(403);
      await app.close();
    },
  );

  it('with isGlobal: false, a feature module that does not import it cannot resolve the guard', async () => {
    @Controller()
    class IsolatedController {
      @Post('y')
      @RequireCaptcha()
      y() {
        return { ok: true };
      }
    }
    @Module({ controllers: [IsolatedController] })
    class IsolatedModule {}
    const compile = Test.createTestingModule({
      imports: [CaptchaModule.forRoot({ ...ALTCHA, isGlobal: false }), IsolatedModule],
    }).compile();
    await expect(compile).rejects.toThrow(/CaptchaGuard|CaptchaVerifier|resolve/);
  });
});

describe.each(ADAPTERS)('CaptchaGuard options (%s)', (adapter) => {
  @Controller()
  class OptionsController {
    @Post('protected')
    @RequireCaptcha({ action: 'protected' })
    protected() {
      return { ok: true };
    }

    @Post('fails-validation')
    @RequireCaptcha({ action: 'v' })
    failsValidation() {
      throw new BadRequestException(['email must be an email']);
    }
  }

  const boot = async (options: Parameters<typeof CaptchaTestingModule.forRoot>[0]) => {
    const moduleRef = await Test.createTestingModule({
      imports: [CaptchaTestingModule.forRoot(options)],
      controllers: [OptionsController],
    }).compile();
    return startApp(moduleRef, adapter, { listen: false });
  };

  it('reads the token with a custom extractor instead of the built-in lookup', async () => {
    const app = await boot({
      tokenExtractor: (req) => (req as { headers: Record<string, string> }).headers['x-my-proof'],
    });
    await request(app.getHttpServer())
      .post('/protected')
      .send({ captchaToken: CAPTCHA_TEST_TOKENS.pass })
      .expect(403);
    await request(app.getHttpServer())
      .post('/protected')
      .set('x-my-proof', CAPTCHA_TEST_TOKENS.pass)
      .send({})
      .expect(201);
    await app.close();
  });

  it('bypasses the checkpoint when skipIf says so', async () => {
    const app = await boot({
      skipIf: (ctx) =>
        ctx.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-client'] ===
        'm2m',
    });
    await request(app.getHttpServer()).post('/protected').send({}).expect(403);
    await request(app.getHttpServer())
      .post('/protected')
      .set('x-client', 'm2m')
      .send({})
      .expect(201);
    await app.close();
  });

  it("passes the app's own errors through the filter untouched", async () => {
    const app = await boot({});
    const res = await request(app.getHttpServer())
      .post('/fails-validation')
      .send({ captchaToken: CAPTCHA_TEST_TOKENS.pass })
      .expect(400);
    expect(res.body).toEqual({
      statusCode: 400,
      message: ['email must be an email'],
      error: 'Bad Request',
    });
    await app.close();
  });
});
