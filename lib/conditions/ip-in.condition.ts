import ipaddr from 'ipaddr.js';
import type { CaptchaCondition } from './captcha-condition';
import { CONDITION_SOURCES, defineCondition } from './condition-internals';

const IP_ONLY = { [CONDITION_SOURCES]: ['ip' as const] };

/**
 * CIDRs (`'203.0.113.0/24'`, `'2001:db8::/32'`) or single addresses.
 *
 * @public
 */
export type CidrList = readonly string[];

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses a list; throws naming the first entry it cannot read. */
function compile(cidrs: CidrList): Range[] {
  return cidrs.map((entry) => {
    const text = entry.trim();
    try {
      if (text.includes('/')) return normalizeRange(ipaddr.parseCIDR(text));
      const address = ipaddr.process(text);
      return [address, address.kind() === 'ipv4' ? 32 : 128] as Range;
    } catch {
      throw new TypeError(`ipIn: ${JSON.stringify(entry)} is not an IP address or CIDR`);
    }
  });
}

/** `::ffff:0:0/96`-style IPv4-mapped ranges read as their IPv4 range. */
function normalizeRange([address, bits]: Range): Range {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

function contains(ranges: Range[], ip: string | undefined): boolean {
  if (ip === undefined || !ipaddr.isValid(ip)) return false;
  const address = ipaddr.process(ip);
  return ranges.some(
    ([network, bits]) => network.kind() === address.kind() && address.match(network, bits),
  );
}

/**
 * Challenge clients whose IP is in a list of IPv4/IPv6 CIDRs: a static list, or a function
 * returning one (e.g. a feed of hosting-provider ranges; cache it on your side). IPv4-mapped IPv6
 * addresses match their IPv4 ranges. Use `not(ipIn(…))` for an allow-list.
 *
 * @example
 * ```ts
 * when: ipIn(['198.51.100.0/24', '2001:db8:bad::/48'])
 * ```
 *
 * @public
 */
export function ipIn(cidrs: CidrList | (() => CidrList | Promise<CidrList>)): CaptchaCondition {
  if (typeof cidrs !== 'function') {
    const ranges = compile(cidrs);
    return defineCondition('ipIn', (context) => contains(ranges, context.clientIp), IP_ONLY);
  }
  let last: { list: CidrList; ranges: Range[] } | undefined;
  return defineCondition(
    'ipIn',
    async (context) => {
      const list = await cidrs();
      // Re-parse only when the function hands back a different list.
      if (last?.list !== list) last = { list, ranges: compile(list) };
      return contains(last.ranges, context.clientIp);
    },
    IP_ONLY,
  );
}
