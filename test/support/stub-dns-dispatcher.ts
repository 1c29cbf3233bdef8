import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent } from 'undici';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * An undici `Agent` whose name resolution is a stub: no DNS query ever leaves the machine. While
 * {@link StubDnsDispatcher.resolvesTo} is `undefined` every host fails like
 * `getaddrinfo ENOTFOUND`; set it to an address to make every host resolve there (the DNS fault
 * is cleared).
 */
export class StubDnsDispatcher {
  /** The address every host resolves to, or `undefined` for "no such host". */
  resolvesTo: string | undefined;
  /** Lookups made so far; one per connection attempt. */
  lookups = 0;
  readonly dispatcher: Agent;

  constructor() {
    this.dispatcher = new Agent({
      // No keep-alive (`Connection: close`): every attempt connects, so every attempt looks up.
      pipelining: 0,
      connect: {
        // Node 20 calls it with `all: true` (autoSelectFamily) and then expects an array.
        lookup: (hostname: string, options: LookupOptions, callback: LookupCallback) => {
          this.lookups += 1;
          const address = this.resolvesTo;
          // Asynchronous, as dns.lookup is.
          setImmediate(() => {
            if (address === undefined) {
              const error: NodeJS.ErrnoException = Object.assign(
                new Error(`getaddrinfo ENOTFOUND ${hostname}`),
                { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname },
              );
              callback(error, options.all ? [] : '');
            } else if (options.all) {
              callback(null, [{ address, family: 4 }]);
            } else {
              callback(null, address, 4);
            }
          });
        },
      },
    });
  }

  /** Ends the agent's connections. */
  destroy(): Promise<void> {
    return this.dispatcher.destroy();
  }
}
