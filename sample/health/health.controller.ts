import { Controller, Get } from '@nestjs/common';
import { CaptchaVerifier } from 'nestjs-captcha';

@Controller('health')
export class HealthController {
  constructor(private readonly captcha: CaptchaVerifier) {}

  @Get()
  health(): { status: 'ok'; provider: string } {
    return { status: 'ok', provider: this.captcha.providerName };
  }
}
