import { Body, Controller, Post, ValidationPipe, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsEmail, IsString } from 'class-validator';
import request from 'supertest';
import {
  CaptchaModule,
  CaptchaResult,
  RequireCaptcha,
  SkipCaptcha,
  type CaptchaModuleOptions,
  type CaptchaVerification,
} from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createHttpAdapter, type HttpAdapterName } from '../support/create-app';

class SignupDto {
  @IsEmail()
  email!: string;

  @IsString()
  password!: string;
}

@Controller()
class SignupController {
  @Post('signup')
  @RequireCaptcha({ action: 'signup' })
  signup(@Body() dto: SignupDto, @CaptchaResult() captcha?: CaptchaVerification) {
    // Echo what the handler received: the DTO must hold the app's fields only.
    return {
      dto,
      captcha: captcha ? { success: captcha.success, provider: captcha.provider } : null,
    };
  }

  @Post('calm')
  @RequireCaptcha({ action: 'signup', when: () => false })
  calm(@Body() dto: SignupDto) {
    return { dto };
  }
}

/** A `@SkipCaptcha()` handler in a checkpointed controller: exempt, its body left alone. */
@Controller('exempt')
@RequireCaptcha({ action: 'signup' })
class ExemptController {
  @Post()
  @SkipCaptcha()
  create(@Body() dto: SignupDto) {
    return { dto };
  }
}

/** The most common strict setup: a global whitelist ValidationPipe that forbids unknown fields. */
async function bootStrict(
  adapter: HttpAdapterName,
  options: CaptchaModuleOptions,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaModule.forRoot(options)],
    controllers: [SignupController, ExemptController],
  }).compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(adapter), { logger: false });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

const USER = { email: 'new@example.com', password: 'pw' };

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('strict ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })', () => {
    let fake: FakeCaptchaServer;
    let apps: INestApplication[] = [];
    const boot = async (extra: Partial<CaptchaModuleOptions> = {}) => {
      const app = await bootStrict(adapter, {
        provider: 'turnstile',
        siteKey: FakeCaptchaServer.siteKeys.turnstile,
        secretKey: FakeCaptchaServer.secrets.turnstile,
        verifyUrl: fake.verifyUrl('turnstile'),
        ...extra,
      });
      apps.push(app);
      return app;
    };
    const token = () => fake.issueToken({ provider: 'turnstile', action: 'signup' });
    const signup = (app: INestApplication, body: object) =>
      request(app.getHttpServer()).post('/signup').send(body);

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
    });
    afterEach(async () => {
      await Promise.all(apps.map((app) => app.close()));
      apps = [];
    });
    afterAll(() => fake.close());

    it.each([
      [
        'captcha: { provider, token }',
        () => ({ captcha: { provider: 'turnstile', token: token() } }),
      ],
      ['captchaToken', () => ({ captchaToken: token() })],
      ['cf-turnstile-response', () => ({ 'cf-turnstile-response': token() })],
      [
        'every field at once',
        () => ({
          captcha: { provider: 'turnstile', token: token() },
          captchaToken: 'x',
          'g-recaptcha-response': 'x',
          'h-captcha-response': 'x',
          'frc-captcha-response': 'x',
          'frc-captcha-solution': 'x',
          altcha: 'x',
        }),
      ],
    ])(
      'accepts a solved challenge sent as %s (was 400 after the token was spent)',
      async (_name, fields) => {
        const app = await boot();
        const res = await signup(app, { ...USER, ...fields() }).expect(201);
        expect(res.body).toEqual({
          dto: USER,
          captcha: { success: true, provider: 'turnstile' },
        });
      },
    );

    it('still rejects the app’s own unknown fields with 400', async () => {
      const app = await boot();
      const res = await signup(app, { ...USER, admin: true, captchaToken: token() }).expect(400);
      expect(JSON.stringify(res.body)).toContain('admin');
    });

    it('leaves a calm request’s stray CAPTCHA fields out of the DTO too', async () => {
      const app = await boot();
      const res = await request(app.getHttpServer())
        .post('/calm')
        .send({ ...USER, altcha: 'stale-payload' })
        .expect(201);
      expect(res.body).toEqual({ dto: USER });
    });

    it('removes them from a request skipIf bypasses (same body shape whatever the risk)', async () => {
      const app = await boot({
        skipIf: (context) =>
          context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers[
            'x-internal'
          ] === 'yes',
      });
      const res = await signup(app, { ...USER, captchaToken: 'not-checked' })
        .set('x-internal', 'yes')
        .expect(201);
      expect(res.body).toEqual({ dto: USER, captcha: null });
    });

    it('leaves the body of a @SkipCaptcha() handler alone', async () => {
      const app = await boot();
      await request(app.getHttpServer())
        .post('/exempt')
        .send({ ...USER, captchaToken: 'x' })
        .expect(400);
      await request(app.getHttpServer()).post('/exempt').send(USER).expect(201);
    });

    it('keeps the fields with stripTokenFields: false (the DTO must declare them)', async () => {
      const app = await boot({ stripTokenFields: false });
      const res = await signup(app, { ...USER, captchaToken: token() }).expect(400);
      expect(JSON.stringify(res.body)).toContain('captchaToken');
    });

    it('removes the fields listed in stripTokenFields instead, for a custom tokenExtractor', async () => {
      const app = await boot({
        stripTokenFields: ['humanProof'],
        tokenExtractor: (req) => (req as { body?: { humanProof?: unknown } }).body?.humanProof,
      });
      const res = await signup(app, { ...USER, humanProof: token() }).expect(201);
      expect(res.body.dto).toEqual(USER);
    });

    it('refuses a bad stripTokenFields at start-up', async () => {
      await expect(
        Test.createTestingModule({
          imports: [CaptchaModule.forRoot({ stripTokenFields: 'yes' as unknown as boolean })],
        }).compile(),
      ).rejects.toThrow(/stripTokenFields/);
    });
  });
});
