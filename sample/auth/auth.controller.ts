import {
  Body,
  Controller,
  HttpCode,
  Post,
  Req,
  UnauthorizedException,
  ValidationPipe,
} from '@nestjs/common';
import {
  CaptchaResult,
  ClientIpResolver,
  RequireCaptcha,
  SkipCaptcha,
  type CaptchaVerification,
} from 'nestjs-captcha';
import { LoginDto, SignupDto, TokenDto } from './auth.dto';
import { failedLogins } from './failed-logins';

const DEMO_USER = { email: 'demo@example.com', password: 'correct-horse' };
const DEMO_CLIENT = { id: 'demo-client', secret: 'demo-client-secret' };

// Validation runs after the guard, so the captcha fields in the body are allowed through.
const body = new ValidationPipe({ whitelist: true });

@Controller('auth')
export class AuthController {
  constructor(private readonly clientIp: ClientIpResolver) {}

  /** Sign-in: a challenge only after 3 failed attempts from the IP in 15 minutes. */
  @Post('login')
  @HttpCode(200)
  @RequireCaptcha({ action: 'login', when: failedLogins.condition() })
  login(
    @Req() request: unknown,
    @Body(body) dto: LoginDto,
    @CaptchaResult() captcha?: CaptchaVerification,
  ) {
    const { ip } = this.clientIp.resolve(request);
    if (dto.email !== DEMO_USER.email || dto.password !== DEMO_USER.password) {
      failedLogins.record(ip);
      throw new UnauthorizedException('Wrong email or password.');
    }
    failedLogins.reset(ip);
    return {
      signedIn: true,
      email: dto.email,
      captcha: captcha ? { provider: captcha.provider, success: captcha.success } : null,
    };
  }

  /** Sign-up: always challenged. */
  @Post('signup')
  @RequireCaptcha({ action: 'signup' })
  signup(@Body(body) dto: SignupDto, @CaptchaResult() captcha: CaptchaVerification) {
    return {
      created: true,
      email: dto.email,
      captcha: { provider: captcha.provider, success: captcha.success },
    };
  }

  /** Machine-to-machine: no human in the loop, so never challenged. */
  @Post('token')
  @HttpCode(200)
  @SkipCaptcha()
  token(@Body(body) dto: TokenDto) {
    if (dto.client_id !== DEMO_CLIENT.id || dto.client_secret !== DEMO_CLIENT.secret) {
      throw new UnauthorizedException('Unknown client.');
    }
    return { access_token: 'demo-access-token', token_type: 'Bearer', expires_in: 3600 };
  }
}
