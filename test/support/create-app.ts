import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CaptchaModule, type CaptchaModuleOptions } from 'nestjs-captcha';

/** Boots a real Nest HTTP app (Express, listening on 127.0.0.1) with the captcha module. */
export async function createCaptchaApp(
  options: CaptchaModuleOptions,
  controllers: Type[],
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaModule.forRoot(options)],
    controllers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}
