import { Controller, HttpCode, Post } from '@nestjs/common';
import { CaptchaResult, RequireCaptcha, type CaptchaVerification } from 'nestjs-captcha';

/**
 * Two routes that differ only in their outage policy, each answering the verification it got:
 * `POST /login` fail-closed (the module default) and `POST /comment` fail-open, the only kind of
 * route an unverified (degraded or failed-open) request may pass.
 */
@Controller()
export class PolicyRoutesController {
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login' })
  login(@CaptchaResult() captcha: CaptchaVerification) {
    return { captcha };
  }

  @Post('comment')
  @HttpCode(200)
  @RequireCaptcha({ action: 'comment', failureMode: 'open' })
  comment(@CaptchaResult() captcha: CaptchaVerification) {
    return { captcha };
  }
}
