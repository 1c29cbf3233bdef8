import { Controller, Post, UnauthorizedException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  CaptchaGuard,
  CaptchaRequiredException,
  CaptchaRiskService,
  failedAttempts,
  RequireCaptcha,
  SkipCaptcha,
} from 'nestjs-captcha';
import { CaptchaTestingModule } from 'nestjs-captcha/testing';

@Controller()
class LoginController {
  @Post('login')
  @RequireCaptcha({ action: 'login', when: failedAttempts({ threshold: 2, window: '1m' }) })
  login() {
    throw new UnauthorizedException();
  }

  @Post('open')
  open() {
    return 'open';
  }
}

/** A handler's @SkipCaptcha beats its class's @RequireCaptcha (the nearer decorator wins). */
@Controller('protected')
@RequireCaptcha({ action: 'protected' })
class ProtectedController {
  @Post('skipped')
  @SkipCaptcha()
  skipped() {
    return 'skipped';
  }
}

/**
 * The guard decides a calm request without a promise when nothing needs one (the memory store,
 * built-in subjects): what keeps `@RequireCaptcha` nearly free where no challenge is due
 * (bench/RESULTS.md, scenario 1).
 */
describe('CaptchaGuard fast path', () => {
  let moduleRef: TestingModule;
  let guard: CaptchaGuard;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [CaptchaTestingModule.forRoot()],
      controllers: [LoginController, ProtectedController],
    }).compile();
    guard = moduleRef.get(CaptchaGuard);
  });
  afterAll(() => moduleRef.close());

  const contextFor = (handler: () => unknown, ip: string, type: object = LoginController) => {
    const request = { headers: {}, body: {}, socket: { remoteAddress: ip } };
    const context = new ExecutionContextHost(
      [request, {}, () => undefined],
      type as typeof LoginController,
      handler,
    );
    context.setType('http');
    return context;
  };

  it('lets a calm request through synchronously, and the same route again from the cache', () => {
    expect(guard.canActivate(contextFor(LoginController.prototype.login, '198.51.100.1'))).toBe(
      true,
    );
    expect(guard.canActivate(contextFor(LoginController.prototype.login, '198.51.100.1'))).toBe(
      true,
    );
  });

  it('answers routes without @RequireCaptcha and @SkipCaptcha ones synchronously', () => {
    expect(guard.canActivate(contextFor(LoginController.prototype.open, '198.51.100.2'))).toBe(
      true,
    );
    expect(
      guard.canActivate(
        contextFor(ProtectedController.prototype.skipped, '198.51.100.2', ProtectedController),
      ),
    ).toBe(true);
  });

  it('still challenges once the counter reaches the threshold', async () => {
    const risk = moduleRef.get(CaptchaRiskService);
    await risk.recordFailure('login', '198.51.100.3', '1m');
    await risk.recordFailure('login', '198.51.100.3', '1m');
    const decided = guard.canActivate(contextFor(LoginController.prototype.login, '198.51.100.3'));
    await expect(decided).rejects.toBeInstanceOf(CaptchaRequiredException);
    // Other clients stay calm.
    expect(guard.canActivate(contextFor(LoginController.prototype.login, '198.51.100.4'))).toBe(
      true,
    );
  });
});
