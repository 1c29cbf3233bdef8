/**
 * Google's official reCAPTCHA v2 test keys: siteverify with this secret passes any token, any
 * number of times (the fake provider honours it like Google does), so every bench request can
 * carry a fresh token without minting one.
 */
export const RECAPTCHA_TEST_SITE_KEY = '6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI';
export const RECAPTCHA_TEST_SECRET = '6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe';

/** The bench apps' provider settings: reCAPTCHA v2 with the test keys, verified at `verifyUrl`. */
export function recaptchaTestOptions(verifyUrl: string) {
  return {
    provider: 'recaptcha' as const,
    siteKey: RECAPTCHA_TEST_SITE_KEY,
    secretKey: RECAPTCHA_TEST_SECRET,
    verifyUrl,
  };
}
