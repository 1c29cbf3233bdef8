import type { CaptchaModuleOptions } from '../config/captcha-module-options.interface';
import { DEFAULT_IPV6_PREFIX } from '../http/client-ip-resolver';
import type { DoctorCheck } from './doctor-check';

/**
 * How the client IP will be read (`CAPTCHA_TRUST_PROXY`, `CAPTCHA_CLIENT_IP_HEADER`,
 * `CAPTCHA_IPV6_PREFIX`); a warning where any client could choose its own IP, and with it its
 * per-IP counters.
 *
 * @internal
 */
export function clientIpCheck(options: CaptchaModuleOptions): DoctorCheck {
  const { trustProxy, clientIpHeader } = options;
  const header = clientIpHeader?.toLowerCase();
  const grouping = `IPv6 clients counted per /${options.ipv6Prefix ?? DEFAULT_IPV6_PREFIX}`;
  if (trustProxy === undefined || trustProxy === false || trustProxy === 0) {
    if (header !== undefined) {
      return {
        name: 'client-ip',
        status: 'fail',
        message: `CAPTCHA_CLIENT_IP_HEADER=${header} is set, but CAPTCHA_TRUST_PROXY trusts no proxy: the header would never be read`,
      };
    }
    return {
      name: 'client-ip',
      status: 'pass',
      message:
        'client IP: the socket address (CAPTCHA_TRUST_PROXY not set: behind a proxy or load ' +
        `balancer every client would share its address); ${grouping}`,
    };
  }
  if (trustProxy === true) {
    return {
      name: 'client-ip',
      status: 'warn',
      message:
        'CAPTCHA_TRUST_PROXY=true trusts every hop: any client can choose its IP with ' +
        `X-Forwarded-For${header ? ` or ${header}` : ''} and so escape per-IP limits; list your ` +
        "proxies' addresses or CIDR ranges instead",
    };
  }
  if (typeof trustProxy === 'number' && header !== undefined) {
    return {
      name: 'client-ip',
      status: 'warn',
      message:
        `CAPTCHA_TRUST_PROXY=${trustProxy} (a hop count) trusts whatever peer connects, so a ` +
        `client reaching the app directly can set ${header}; list your proxies' addresses or ` +
        'CIDR ranges instead',
    };
  }
  const trusted = Array.isArray(trustProxy)
    ? trustProxy.join(', ')
    : typeof trustProxy === 'number'
      ? `${trustProxy} hop${trustProxy === 1 ? '' : 's'}`
      : trustProxy;
  return {
    name: 'client-ip',
    status: 'pass',
    message:
      `client IP: ${header ? `${header}, else ` : ''}X-Forwarded-For from trusted proxies ` +
      `(${trusted}); ${grouping}`,
  };
}
