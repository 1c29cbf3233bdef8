import { Body, Controller, HttpCode, Post, UnauthorizedException } from '@nestjs/common';
import {
  CaptchaResult,
  failedAttempts,
  RequireCaptcha,
  SkipCaptcha,
  type CaptchaVerification,
} from 'nestjs-captcha';
import { LoginDto, SignupDto, TokenDto } from './auth.dto';

const DEMO_USER = { email: 'demo@example.com', password: 'correct-horse' };
const DEMO_CLIENT = { id: 'demo-client', secret: 'demo-client-secret' };

// The app's strict ValidationPipe (app.module.ts) checks the DTOs. It runs after the guard, which
// has removed the CAPTCHA fields (`altcha`, `captcha`, …) it consumed: the DTOs never declare them.
@Controller('auth')
export class AuthController {
  /**
   * Sign-in: a challenge only after 3 failed attempts (401s) from the IP in 15 minutes; the
   * library counts every attempt as it arrives (so a burst cannot race past 3) and keeps the
   * failed ones; only a sign-in that passed a solved challenge clears the count (resetOn
   * 'verified', the default), so signing in to one's own account between guesses does not.
   */
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 3, window: '15m', per: 'ip' }),
  })
  login(@Body() dto: LoginDto, @CaptchaResult() captcha?: CaptchaVerification) {
    if (dto.email !== DEMO_USER.email || dto.password !== DEMO_USER.password) {
      throw new UnauthorizedException('Wrong email or password.');
    }
    return {
      signedIn: true,
      email: dto.email,
      captcha: captcha ? { provider: captcha.provider, success: captcha.success } : null,
    };
  }

  /** Sign-up: always challenged (a clearance, when `CAPTCHA_CLEARANCE_TTL` is set, answers it). */
  @Post('signup')
  @RequireCaptcha({ action: 'signup' })
  signup(@Body() dto: SignupDto, @CaptchaResult() captcha?: CaptchaVerification) {
    return {
      created: true,
      email: dto.email,
      // `null` when a clearance let the request through: no token was verified.
      captcha: captcha ? { provider: captcha.provider, success: captcha.success } : null,
    };
  }

  /** Machine-to-machine: no human in the loop, so never challenged. */
  @Post('token')
  @HttpCode(200)
  @SkipCaptcha()
  token(@Body() dto: TokenDto) {
    if (dto.client_id !== DEMO_CLIENT.id || dto.client_secret !== DEMO_CLIENT.secret) {
      throw new UnauthorizedException('Unknown client.');
    }
    return { access_token: 'demo-access-token', token_type: 'Bearer', expires_in: 3600 };
  }
}
