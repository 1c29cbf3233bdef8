import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';
import { CLIENT_IP_HEADERS } from '../http/client-ip-resolver';
import { type ConfigRule, integerRule } from './captcha-config-rules';

// What the network settings accept: expected hostnames, trusted proxies, the client-IP header
// and the IPv6 grouping prefix.

const HOSTNAME =
  /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** One entry of `CAPTCHA_EXPECTED_HOSTNAMES` / `expectedHostnames`. @internal */
export const hostnameRule: ConfigRule = {
  accepted: 'a hostname such as example.com (no scheme, port or path)',
  problem: (value) =>
    typeof value === 'string' && (HOSTNAME.test(value) || isIP(value) !== 0)
      ? undefined
      : 'is not a valid hostname',
};

/** The named ranges `proxy-addr` knows. @internal */
export const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;

/** What `CAPTCHA_TRUST_PROXY` / `trustProxy` accepts as a whole. @internal */
export const TRUST_PROXY_ACCEPTED = `true, false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDR ranges (e.g. 10.0.0.0/8) and the names ${TRUST_PROXY_NAMES.join(', ')}`;

/** One entry of a trusted-proxy list, checked the way `proxy-addr` will read it. @internal */
export const trustProxyEntryRule: ConfigRule = {
  accepted: `an IP address, a CIDR range (e.g. 10.0.0.0/8) or one of ${TRUST_PROXY_NAMES.join(', ')}`,
  problem: (value) => {
    if (typeof value !== 'string') return 'is not a string';
    if ((TRUST_PROXY_NAMES as readonly string[]).includes(value)) return undefined;
    const slash = value.lastIndexOf('/');
    // proxy-addr (ipaddr.js) also takes legacy forms such as "1" for 0.0.0.1: refuse them, a
    // bare number in a list is a hop count put in the wrong place.
    if (isIP(slash === -1 ? value : value.slice(0, slash)) === 0) {
      return 'is not an IP address, CIDR range or proxy name';
    }
    try {
      proxyAddr.compile(value);
    } catch {
      return 'is not an IP address, CIDR range or proxy name';
    }
    return undefined;
  },
};

/**
 * `CAPTCHA_CLIENT_IP_HEADER` / `clientIpHeader`: one of the known single-address client-IP
 * headers, in any case. Arbitrary names are refused so that no setting can point the client IP at
 * a header such as `Forwarded` or `Host` that does not hold exactly one address.
 * @internal
 */
export const clientIpHeaderRule: ConfigRule = {
  accepted: `a client-IP header name, case-insensitive: ${CLIENT_IP_HEADERS.join(', ')}`,
  problem: (value) => {
    if (typeof value !== 'string') return 'is not a string';
    return (CLIENT_IP_HEADERS as readonly string[]).includes(value.trim().toLowerCase())
      ? undefined
      : 'is not a supported client-IP header';
  },
};

/** `CAPTCHA_IPV6_PREFIX` / `ipv6Prefix`: /32 groups a whole ISP allocation, /128 nothing. @internal */
export const ipv6PrefixRule = integerRule(32, 128, 'IPv6 prefix length; 128 = every address alone');

/** True for a `trustProxy` value that trusts no proxy at all (so no proxy header is ever read). @internal */
export function trustsNoProxy(trustProxy: unknown): boolean {
  return (
    trustProxy === undefined ||
    trustProxy === false ||
    trustProxy === 0 ||
    (Array.isArray(trustProxy) && trustProxy.length === 0)
  );
}
