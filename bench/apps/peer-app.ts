import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { GoogleRecaptchaModule, Recaptcha } from '@nestlab/google-recaptcha';
import { RECAPTCHA_TEST_SECRET } from '../support/recaptcha-keys';
import { benchConfig, serveApp } from './serve-app';

/** The slice of Express's request the peer's providers read. */
interface PeerRequest {
  body?: Record<string, string>;
  ip?: string;
}

/** What the runner configures in this app. */
export interface PeerAppConfig {
  verifyUrl: string;
}

const config = benchConfig<PeerAppConfig>();

/** The same handler as ours, behind `@nestlab/google-recaptcha`'s guard. */
@Controller()
class PeerController {
  // First, as in every app under test: Express tries routes in order.
  @Post('verify')
  @HttpCode(200)
  @Recaptcha()
  verify() {
    return { ok: true };
  }

  @Post('bare')
  @HttpCode(200)
  bare() {
    return { ok: true };
  }
}

/**
 * The peer as its README configures it, pointed at the same local siteverify: token from the
 * same body field, the client IP sent as `remoteip` like ours does.
 */
@Module({
  imports: [
    GoogleRecaptchaModule.forRoot({
      secretKey: RECAPTCHA_TEST_SECRET,
      response: (req: PeerRequest) => req.body?.['g-recaptcha-response'] ?? '',
      remoteIp: (req: PeerRequest) => req.ip ?? '',
      network: config.verifyUrl,
    }),
  ],
  controllers: [PeerController],
})
class PeerAppModule {}

serveApp(PeerAppModule);
