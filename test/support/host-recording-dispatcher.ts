import { Dispatcher } from 'undici';

/**
 * An undici `Dispatcher` that records the host of every request and fails it like
 * `getaddrinfo ENOTFOUND` without opening a connection: a provider's default URL can be asserted
 * without any traffic leaving the machine.
 */
class HostRecordingDispatcher extends Dispatcher {
  readonly hosts: string[] = [];

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandlers,
  ): boolean {
    const hostname = new URL(String(options.origin)).hostname;
    this.hosts.push(hostname);
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      code: 'ENOTFOUND',
    });
    // Asynchronous, as a failed lookup is.
    setImmediate(() => handler.onError?.(error));
    return true;
  }
}

/** A {@link HostRecordingDispatcher} to pass as `dispatcher`, and the hosts it was asked for. */
export function hostRecordingDispatcher(): { dispatcher: Dispatcher; hosts: string[] } {
  const dispatcher = new HostRecordingDispatcher();
  return { dispatcher, hosts: dispatcher.hosts };
}
