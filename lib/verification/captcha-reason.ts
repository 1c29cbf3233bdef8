/**
 * @internal The reason codes moved to the shared contracts (lib/contracts); this path stays until
 * every importer reads them there.
 */
export { CAPTCHA_REASONS, type CaptchaReason } from '../contracts/captcha-reason';
