import { HttpException } from '@nestjs/common';
import {
  CaptchaException,
  CaptchaInvalidException,
  CaptchaRequiredException,
  CaptchaUnavailableException,
} from 'nestjs-captcha';

const challenge = {
  provider: 'turnstile' as const,
  site_key: '1x00000000000000000000AA',
  action: 'login',
};

describe('CAPTCHA exceptions', () => {
  const made = () =>
    [
      new CaptchaRequiredException(challenge),
      new CaptchaInvalidException({ ...challenge, reason: 'duplicate' }),
      new CaptchaUnavailableException({ provider: 'turnstile', fallback: null }, 30),
    ] as const;

  it('are HttpExceptions with the contract body', () => {
    const [required, invalid, unavailable] = made();
    for (const exception of made()) {
      expect(exception).toBeInstanceOf(HttpException);
      expect(exception).toBeInstanceOf(CaptchaException);
    }
    expect(required.getStatus()).toBe(403);
    expect(required.getResponse()).toEqual({
      statusCode: 403,
      error: 'captcha_required',
      message: expect.any(String),
      details: challenge,
    });
    expect(invalid.code).toBe('captcha_invalid');
    expect(Object.keys(invalid.details)[0]).toBe('reason');
    expect(invalid.details).toEqual({ reason: 'duplicate', ...challenge });
    expect(unavailable.getStatus()).toBe(503);
    expect(unavailable.retryAfterSeconds).toBe(30);
    expect(unavailable.details).toEqual({ provider: 'turnstile', fallback: null });
  });

  it('carry no stack frames (a refusal is an answer, not a fault), and leave the limit as it was', () => {
    const before = Error.stackTraceLimit;
    for (const exception of made()) {
      expect(exception.name).toBe(exception.constructor.name);
      expect(exception.stack).toBe(`${exception.constructor.name}: ${exception.message}`);
      expect(exception.stack).not.toMatch(/\n\s+at /);
    }
    expect(Error.stackTraceLimit).toBe(before);
    // Other errors keep their stacks.
    expect(new Error('other').stack).toMatch(/\n\s+at /);
  });
});
