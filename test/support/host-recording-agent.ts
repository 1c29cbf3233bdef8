import type { LookupOptions } from 'node:dns';
import { Agent } from 'node:https';

/**
 * An `https.Agent` that records the host of every connection attempt and fails it like
 * `getaddrinfo ENOTFOUND`: a provider's default URL can be asserted without any traffic leaving
 * the machine.
 */
export function hostRecordingAgent(): { agent: Agent; hosts: string[] } {
  const hosts: string[] = [];
  const agent = new Agent({
    keepAlive: false,
    lookup: (
      hostname: string,
      options: LookupOptions,
      callback: (
        error: NodeJS.ErrnoException | null,
        address: string | [],
        family?: number,
      ) => void,
    ) => {
      hosts.push(hostname);
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
      });
      setImmediate(() => callback(error, options.all ? [] : ''));
    },
  });
  return { agent, hosts };
}
