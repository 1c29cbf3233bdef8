/**
 * Loads an optional peer dependency (prom-client, @opentelemetry/api), or `undefined` when it is
 * not installed.
 * @internal
 */
export function optionalPeer<T>(name: string): T | undefined {
  try {
    // A synchronous optional load: the packages are peers a user may not have installed.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch {
    return undefined;
  }
}
