import { Test, type TestingModule } from '@nestjs/testing';
import { CaptchaModule, CaptchaVerifier, type CaptchaModuleOptions } from 'nestjs-captcha';

/** A verifier from a real module (real HTTP client, real store), and a way to close it. */
export async function createVerifier(
  options: CaptchaModuleOptions,
): Promise<{ verifier: CaptchaVerifier; moduleRef: TestingModule }> {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaModule.forRoot(options)],
  }).compile();
  await moduleRef.init();
  return { verifier: moduleRef.get(CaptchaVerifier), moduleRef };
}
