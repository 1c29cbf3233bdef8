import type { CaptchaContext } from './captcha-condition';
import { clientNetworkOf } from './client-network';

/**
 * Whose requests a counter groups: `'ip'` (the client's network: its IPv4 address, or its IPv6
 * /64 under the module's `ipv6Prefix`); a request path such as `'body.email'`,
 * `'header.x-api-key'` or `'query.tenant'`; a GraphQL resolver's argument (`'args.email'`,
 * `'args.input.email'`); a gateway's or message handler's data (`'data.email'`); several joined
 * with `+` (`'ip+body.email'`); or a function of the context.
 *
 * @public
 */
export type CaptchaSubject =
  string | ((context: CaptchaContext) => string | undefined | Promise<string | undefined>);

/**
 * What a subject (or a condition) reads: a part of the request, the handler's input, or code.
 *
 * @public
 */
export type CaptchaSubjectSource = 'ip' | 'body' | 'header' | 'query' | 'args' | 'data' | 'custom';

/** Where a value is read from for one `per` part. */
type Part =
  { kind: 'ip' } | { kind: 'body' | 'header' | 'query' | 'args' | 'data'; path: string[] };

const SOURCES = new Set(['body', 'header', 'headers', 'query', 'args', 'data']);

/**
 * The sources a `per` spec reads, for start-up checks (a `'body.*'` subject on a GraphQL resolver
 * reads nothing the client means). Throws as {@link compileSubject} does for a spec it cannot read.
 *
 * @public
 */
export function subjectSources(per: CaptchaSubject): CaptchaSubjectSource[] {
  if (typeof per === 'function') return ['custom'];
  return [...new Set(parseSubject(per).map((part) => part.kind))];
}

/**
 * Compiles a `per` spec once, at start-up; throws for a spec it cannot read.
 *
 * @public
 */
export function compileSubject(
  per: CaptchaSubject,
  { lowerCase = true }: { lowerCase?: boolean } = {},
): (context: CaptchaContext) => string | Promise<string> {
  // Synchronous for the built-in specs, so a calm request can be decided without a promise.
  if (typeof per === 'function') {
    return (context) => {
      const subject = per(context);
      return isPromiseLike(subject)
        ? Promise.resolve(subject).then((s) => s ?? '')
        : (subject ?? '');
    };
  }
  const parts = parseSubject(per);
  if (parts.length === 1) return (context) => readPart(parts[0], context, lowerCase);
  return (context) => parts.map((part) => readPart(part, context, lowerCase)).join('|');
}

function parseSubject(per: string): Part[] {
  return per.split('+').map((raw): Part => {
    const spec = raw.trim();
    if (spec === 'ip') return { kind: 'ip' };
    const [source, ...path] = spec.split('.');
    if (!SOURCES.has(source) || path.length === 0 || path.some((p) => p === '')) {
      throw new TypeError(
        `per: ${JSON.stringify(spec)} is not a subject; accepted: 'ip', 'body.<path>', 'header.<name>', 'query.<name>', 'args.<path>' (GraphQL), 'data.<path>' (messages), joined with '+', or a function`,
      );
    }
    const kind = source === 'headers' ? 'header' : (source as Exclude<Part['kind'], 'ip'>);
    return { kind, path: kind === 'header' ? [path.join('.').toLowerCase()] : path };
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

function readPart(part: Part, context: CaptchaContext, lowerCase: boolean): string {
  // The network, so that an IPv6 client's rotating addresses count as one subject.
  if (part.kind === 'ip') return clientNetworkOf(context) ?? '';
  const request = context.request as { body?: unknown; headers?: unknown; query?: unknown };
  let value: unknown =
    part.kind === 'args' || part.kind === 'data'
      ? context.input
      : part.kind === 'header'
        ? request?.headers
        : request?.[part.kind];
  for (const key of part.path) {
    value =
      typeof value === 'object' && value !== null && Object.hasOwn(value, key)
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  // Only scalars identify a subject; counters compare e-mail-like values case-insensitively.
  if (typeof value === 'string') {
    const text = value.trim().slice(0, 512);
    return lowerCase ? text.toLowerCase() : text;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}
