import { refusedOptions, refusedVariables } from './config-helpers';

// The rules of one family (client IP and hostnames: trustProxy, clientIpHeader, ipv6Prefix, expectedHostnames), as one table checks them: written in code
// (options.*) and read from the environment (CAPTCHA_*).

describe('client IP and hostnames: trustProxy, clientIpHeader, ipv6Prefix, expectedHostnames', () => {
  refusedOptions([
    [
      'expected hostnames as a string',
      { expectedHostnames: 'example.com' },
      "options.expectedHostnames: \"example.com\" is not an array; accepted: an array of hostnames, e.g. ['example.com', 'www.example.com']",
    ],
    [
      'an expected hostname with a scheme',
      { expectedHostnames: ['example.com', 'https://example.com'] },
      'options.expectedHostnames: ["example.com", "https://example.com"] contains an invalid hostname: "https://example.com"; accepted: a hostname such as example.com (no scheme, port or path)',
    ],
    [
      'a negative hop count',
      { trustProxy: -1 },
      'options.trustProxy: -1 is not a valid hop count; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
    ],
    [
      'a trust proxy string with a bad entry',
      { trustProxy: 'loopback, proxy.internal' },
      'options.trustProxy: "loopback, proxy.internal" contains an entry that is not an IP address, CIDR range or proxy name: "proxy.internal"; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
    ],
    [
      'a trust proxy list with a bad range',
      { trustProxy: ['10.0.0.0/8', '10.0.0.0/40'] },
      'options.trustProxy[1]: "10.0.0.0/40" is not an IP address, CIDR range or proxy name; accepted: an IP address, a CIDR range (e.g. 10.0.0.0/8) or one of loopback, linklocal, uniquelocal',
    ],
    [
      'a trust proxy object',
      { trustProxy: { trusted: true } },
      'options.trustProxy: an object is not a trust setting; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
    ],
  ]);

  refusedVariables([
    [
      'CAPTCHA_EXPECTED_HOSTNAMES with a URL and a space',
      { CAPTCHA_EXPECTED_HOSTNAMES: 'example.com,https://www.example.com,exa mple.org' },
      'CAPTCHA_EXPECTED_HOSTNAMES: "example.com,https://www.example.com,exa mple.org" contains invalid hostnames: "https://www.example.com", "exa mple.org"; accepted: a hostname such as example.com (no scheme, port or path)',
    ],
    [
      'CAPTCHA_EXPECTED_HOSTNAMES with a port',
      { CAPTCHA_EXPECTED_HOSTNAMES: 'example.com:8080' },
      'CAPTCHA_EXPECTED_HOSTNAMES: "example.com:8080" contains an invalid hostname: "example.com:8080"; accepted: a hostname such as example.com (no scheme, port or path)',
    ],
    [
      'CAPTCHA_EXPECTED_HOSTNAMES only commas',
      { CAPTCHA_EXPECTED_HOSTNAMES: ' , ,' },
      'CAPTCHA_EXPECTED_HOSTNAMES: ", ," contains no hostname; accepted: a comma-separated list of hostnames, e.g. example.com,www.example.com',
    ],
    [
      'CAPTCHA_TRUST_PROXY a name it does not know',
      { CAPTCHA_TRUST_PROXY: 'yes' },
      'CAPTCHA_TRUST_PROXY: "yes" contains an entry that is not an IP address, CIDR range or proxy name: "yes"; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
    ],
    [
      'CAPTCHA_TRUST_PROXY bad ranges and a number in a list',
      { CAPTCHA_TRUST_PROXY: 'loopback,10.0.0.0/33,1,300.1.1.1' },
      'CAPTCHA_TRUST_PROXY: "loopback,10.0.0.0/33,1,300.1.1.1" contains entries that are not IP addresses, CIDR ranges or proxy names: "10.0.0.0/33", "1", "300.1.1.1"; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
    ],
    [
      'CAPTCHA_TRUST_PROXY a negative hop count',
      { CAPTCHA_TRUST_PROXY: '-1' },
      'CAPTCHA_TRUST_PROXY: "-1" is not a valid hop count; accepted: true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names loopback, linklocal, uniquelocal',
    ],
  ]);
});
