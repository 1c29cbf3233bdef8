import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CaptchaResult, RequireCaptcha, type CaptchaVerification } from 'nestjs-captcha';
import { CAPTCHA_TEST_TOKENS, CaptchaTestingModule } from 'nestjs-captcha/testing';
import { getCaptchaResult } from '../../lib/guard/captcha-request-state';
import { ADAPTERS, startApp } from '../support/create-app';

/** A method decorator that replaces the handler with a wrapper of another name. */
const Wrapped = (): MethodDecorator => (_target, _key, descriptor) => {
  const original = descriptor.value as unknown as (...args: unknown[]) => unknown;
  const wrapper = function wrapper(this: unknown, ...args: unknown[]) {
    return original.apply(this, args);
  };
  descriptor.value = wrapper as never;
  return descriptor;
};

/** What the handler saw: the injected result, and whether the request itself holds one. */
const seen = (request: object, injected?: CaptchaVerification) => ({
  injected: injected?.success ?? null,
  onRequest: getCaptchaResult(request)?.success ?? null,
});

@Controller()
class BaseController {
  @Post('reads')
  @HttpCode(200)
  @RequireCaptcha({ action: 'reads' })
  reads(@Req() req: object, @CaptchaResult() captcha?: CaptchaVerification) {
    return seen(req, captcha);
  }

  @Post('ignores')
  @HttpCode(200)
  @RequireCaptcha({ action: 'ignores' })
  ignores(@Req() req: object) {
    return seen(req);
  }

  @Post('wrapped')
  @HttpCode(200)
  @RequireCaptcha({ action: 'wrapped' })
  @Wrapped() // applied first: the route's metadata lands on the wrapper
  wrapped(@Req() req: object, @CaptchaResult() captcha?: CaptchaVerification) {
    return seen(req, captcha);
  }
}

/** Inherits `reads` (and its `@CaptchaResult()`) from the base controller. */
@Controller('sub')
class SubController extends BaseController {}

/**
 * The guard keeps the verification on the request only for handlers that read it with
 * `@CaptchaResult()` (setting it costs every verified request ~2 µs, bench/RESULTS.md); where it
 * cannot tell, it keeps it.
 */
describe.each(ADAPTERS)('%s', (adapter) => {
  describe('the verification result is kept where @CaptchaResult() reads it', () => {
    // A fresh token per request: a passing test token is single-use, like a real one.
    const pass = () => ({ captchaToken: CAPTCHA_TEST_TOKENS.freshPass() });
    let app: Awaited<ReturnType<typeof startApp>>;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [CaptchaTestingModule.forRoot()],
        controllers: [BaseController, SubController],
      }).compile();
      app = await startApp(moduleRef, adapter, { listen: false });
    });
    afterAll(() => app.close());

    it.each([
      ['/reads', { injected: true, onRequest: true }],
      ['/sub/reads', { injected: true, onRequest: true }],
      ['/ignores', { injected: null, onRequest: null }],
      ['/sub/ignores', { injected: null, onRequest: null }],
      ['/wrapped', { injected: true, onRequest: true }],
    ])('%s', async (path, expected) => {
      const response = await request(app.getHttpServer()).post(path).send(pass()).expect(200);
      expect(response.body).toEqual(expected);
    });
  });
});
