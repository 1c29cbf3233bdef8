import type { CaptchaContext } from './captcha-condition';

/**
 * The client as per-client state knows it: its network (`clientNetwork`: an IPv6 client's
 * rotating addresses are one client), else its IP; `undefined` when unknown. What per-IP counters
 * group by, and what step-up grants and clearances are bound to.
 *
 * @internal
 */
export function clientNetworkOf(context: CaptchaContext): string | undefined {
  const network = context.clientNetwork ?? context.clientIp;
  return network === '' ? undefined : network;
}
