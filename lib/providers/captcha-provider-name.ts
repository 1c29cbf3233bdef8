/**
 * @internal The provider names moved to the shared contracts (lib/contracts); this path stays
 * until every importer reads them there.
 */
export {
  CAPTCHA_PROVIDER_NAMES,
  type CaptchaProviderName,
} from '../contracts/captcha-provider-name';
