import { spawnSync } from 'node:child_process';

/** Errors that mean "this host has no IPv6", as opposed to a broken test. */
const MISSING_IPV6 = ['EADDRNOTAVAIL', 'EAFNOSUPPORT'];

const PROBE = `
const server = require('node:net').createServer();
server.once('error', (error) => { process.stdout.write(String(error.code)); process.exit(0); });
server.listen(0, '::1', () => server.close(() => process.stdout.write('ok')));
`;

/**
 * Why this host cannot listen on the IPv6 loopback `::1`, or `undefined` when it can. Decided once,
 * synchronously (a child process binds a socket), so a spec can choose its tests at collection
 * time instead of switching paths inside one. Throws on any failure other than missing IPv6.
 */
export function missingIpv6Loopback(): string | undefined {
  const probe = spawnSync(process.execPath, ['-e', PROBE], { encoding: 'utf8', timeout: 10_000 });
  const answer = probe.stdout.trim();
  if (answer === 'ok') return undefined;
  if (MISSING_IPV6.includes(answer)) return `listening on ::1 fails with ${answer}`;
  const why = answer || probe.stderr || String(probe.error);
  throw new Error(`IPv6 loopback probe failed for another reason than missing IPv6: ${why}`);
}
