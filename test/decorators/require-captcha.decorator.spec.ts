import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import {
  CaptchaOutcomeInterceptor,
  failedAttempts,
  anyOf,
  ipIn,
  RequireCaptcha,
} from 'nestjs-captcha';

class Routes {
  @RequireCaptcha({ action: 'signup' })
  always() {}

  @RequireCaptcha({ action: 'comment', when: ipIn(['10.0.0.0/8']) })
  listed() {}

  @RequireCaptcha({
    action: 'login',
    when: anyOf(ipIn(['10.0.0.0/8']), failedAttempts({ threshold: 3, window: '15m' })),
  })
  login() {}
}

const interceptorsOf = (name: keyof Routes) =>
  (Reflect.getMetadata(INTERCEPTORS_METADATA, Routes.prototype[name]) as unknown[] | undefined) ??
  [];

describe('@RequireCaptcha', () => {
  it('installs the outcome interceptor only where a condition counts outcomes', () => {
    expect(interceptorsOf('always')).toEqual([]);
    expect(interceptorsOf('listed')).toEqual([]);
    expect(interceptorsOf('login')).toEqual([CaptchaOutcomeInterceptor]);
  });
});
