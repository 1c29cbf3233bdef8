import { CaptchaUnavailableError } from 'nestjs-captcha';

/** The error a verification (or issue call) rejected with; fails the test when it resolved instead. */
export async function unavailable(pending: Promise<unknown>): Promise<CaptchaUnavailableError> {
  const error = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CaptchaUnavailableError);
  return error as CaptchaUnavailableError;
}
