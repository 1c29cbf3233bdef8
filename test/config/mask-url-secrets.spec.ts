import { maskUrlSecrets, urlSecretParts } from '../../lib/config/mask-url-secrets';
import { isProductionName, productionSignal } from '../../lib/config/production-environment';

describe('maskUrlSecrets', () => {
  it.each([
    ['https://proxy.example/siteverify', 'https://proxy.example/siteverify'],
    ['https://proxy.example/v?api_key=abc123', 'https://proxy.example/v?api_key=***'],
    [
      'https://proxy.example/v?a=1&token=xyz;secret=s',
      'https://proxy.example/v?a=***&token=***;secret=***',
    ],
    ['https://proxy.example/v?bare-secret-value', 'https://proxy.example/v?***'],
    ['https://proxy.example/v?key=#frag-secret', 'https://proxy.example/v?key=***#***'],
    ['redis://:p@ss@cache:6379/0', 'redis://:***@cache:6379/0'],
    ['redis://default:pw@cache:6379', 'redis://default:***@cache:6379'],
    ['https://tok3n@host.example/x?y=1', 'https://***@host.example/x?y=***'],
    ['https://host.example/a@b', 'https://host.example/a@b'],
    ['not a url ?password=hunter22', 'not a url ?password=***'],
  ])('%s → %s', (url, masked) => {
    expect(maskUrlSecrets(url)).toBe(masked);
  });

  it('lists the secret parts, raw and decoded, for redacting free text', () => {
    expect(urlSecretParts('https://u:p%40ssword@h/x?api_key=a%2Bb%3Dcdef&n=1#fragment')).toEqual(
      expect.arrayContaining(['p%40ssword', 'p@ssword', 'a%2Bb%3Dcdef', 'a+b=cdef', 'fragment']),
    );
    // Short values would blank out ordinary words.
    expect(urlSecretParts('https://h/x?n=1')).toEqual([]);
  });
});

describe('the production rule', () => {
  it.each(['production', 'Production', ' PRODUCTION ', '\tproduction\n'])(
    '%j is production',
    (value) => {
      expect(isProductionName(value)).toBe(true);
    },
  );

  it.each(['prod', 'production-eu', 'staging', '', undefined, 1])('%j is not', (value) => {
    expect(isProductionName(value)).toBe(false);
  });

  it('names the signal that says production, the option first', () => {
    expect(productionSignal({ environment: 'Production', nodeEnv: 'production' })).toBe(
      'environment "production"',
    );
    expect(productionSignal({ captchaEnv: ' production ' })).toBe('CAPTCHA_ENV=production');
    expect(productionSignal({ nodeEnv: 'PRODUCTION', captchaEnv: 'staging' })).toBe(
      'NODE_ENV=production',
    );
    expect(productionSignal({ nodeEnv: 'development' })).toBeUndefined();
  });
});
