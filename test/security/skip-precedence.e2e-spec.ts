import { Controller, HttpCode, INestApplication, Logger, Post } from '@nestjs/common';
import request from 'supertest';
import { RequireCaptcha, SkipCaptcha, type CaptchaModuleOptions } from 'nestjs-captcha';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { ADAPTERS, createCaptchaApp } from '../support/create-app';

/**
 * Attack: a controller exempted as a whole with `@SkipCaptcha()` (machine-to-machine) also holds
 * a handler its author protected with `@RequireCaptcha()`. Before the fix the class-level skip won
 * (`getAllAndOverride` looks for SkipCaptcha on the handler, then on the class, independently of
 * the requirement), so the protected handler answered without any challenge.
 */
@Controller('m2m')
@SkipCaptcha()
class SkippedController {
  @Post('token')
  @HttpCode(200)
  token() {
    return { ok: true };
  }

  @Post('reset-password')
  @HttpCode(200)
  @RequireCaptcha({ action: 'reset' })
  resetPassword() {
    return { ok: true };
  }
}

/** The documented pattern, the other way round: the handler's skip beats the class requirement. */
@Controller('account')
@RequireCaptcha({ action: 'account' })
class ProtectedController {
  @Post('change')
  @HttpCode(200)
  change() {
    return { ok: true };
  }

  @Post('webhook')
  @HttpCode(200)
  @SkipCaptcha()
  webhook() {
    return { ok: true };
  }
}

const ATTEMPTS = 10;

describe.each(ADAPTERS)('%s', (adapter) => {
  describe('@SkipCaptcha precedence: the nearer decorator wins', () => {
    let fake: FakeCaptchaServer;
    let app: INestApplication;
    let warnings: string[];

    beforeAll(async () => {
      fake = await FakeCaptchaServer.start();
      const options: CaptchaModuleOptions = {
        provider: 'turnstile',
        siteKey: FakeCaptchaServer.siteKeys.turnstile,
        secretKey: FakeCaptchaServer.secrets.turnstile,
        verifyUrl: fake.verifyUrl('turnstile'),
        timeoutMs: 500,
      };
      warnings = [];
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
        warnings.push(args.map(String).join(' '));
      });
      try {
        app = await createCaptchaApp(options, [SkippedController, ProtectedController], adapter);
      } finally {
        warn.mockRestore();
      }
    });

    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    const server = () => app.getHttpServer();

    it(`class @SkipCaptcha + handler @RequireCaptcha: 0 of ${ATTEMPTS} token-less requests answered (before: ${ATTEMPTS} of ${ATTEMPTS})`, async () => {
      let answered = 0;
      for (let i = 0; i < ATTEMPTS; i++) {
        const res = await request(server()).post('/m2m/reset-password').send({});
        if (res.status === 200) answered++;
        else {
          expect(res.status).toBe(403);
          expect(res.body.error).toBe('captcha_required');
          expect(res.body.details.action).toBe('reset');
        }
      }
      expect(answered).toBe(0);
    });

    it('the protected handler still passes with a valid token', async () => {
      const token = fake.issueToken({
        provider: 'turnstile',
        action: 'reset',
        hostname: 'localhost',
      });
      await request(server()).post('/m2m/reset-password').send({ captchaToken: token }).expect(200);
    });

    it('the class-level skip still exempts the handlers without their own decorator', async () => {
      await request(server()).post('/m2m/token').send({}).expect(200);
    });

    it('class @RequireCaptcha + handler @SkipCaptcha: the handler is exempt, its siblings are not', async () => {
      await request(server()).post('/account/webhook').send({}).expect(200);
      const res = await request(server()).post('/account/change').send({}).expect(403);
      expect(res.body.error).toBe('captcha_required');
    });

    it('warns at start-up, naming each route where a class and a handler decorator conflict', () => {
      const conflicts = warnings.filter((line) => /@SkipCaptcha/.test(line));
      expect(conflicts.some((line) => line.includes('SkippedController.resetPassword'))).toBe(true);
      expect(conflicts.some((line) => line.includes('ProtectedController.webhook'))).toBe(true);
      // Routes without a conflict are not named.
      expect(conflicts.some((line) => line.includes('SkippedController.token'))).toBe(false);
      expect(conflicts.some((line) => line.includes('ProtectedController.change'))).toBe(false);
    });
  });
});

@Controller('both')
class BothOnOneHandlerController {
  @Post('x')
  @HttpCode(200)
  @SkipCaptcha()
  @RequireCaptcha({ action: 'x' })
  x() {
    return { ok: true };
  }
}

describe('@SkipCaptcha and @RequireCaptcha on the same handler', () => {
  it('stops start-up with a message naming the route', async () => {
    const fake = await FakeCaptchaServer.start();
    try {
      await expect(
        createCaptchaApp(
          {
            provider: 'turnstile',
            siteKey: FakeCaptchaServer.siteKeys.turnstile,
            secretKey: FakeCaptchaServer.secrets.turnstile,
            verifyUrl: fake.verifyUrl('turnstile'),
          },
          [BothOnOneHandlerController],
        ),
      ).rejects.toThrow(
        /BothOnOneHandlerController\.x.*both @SkipCaptcha\(\) and @RequireCaptcha\(\)/,
      );
    } finally {
      await fake.close();
    }
  });
});
