import type { IncomingMessage } from 'node:http';

/**
 * How a verify request's body was encoded: `none` is an empty body without a content type (read
 * as a form with no fields), `other` is any content type the fake does not decode.
 *
 * @internal
 */
export type FakeBodyEncoding = 'form' | 'multipart' | 'json' | 'none' | 'other';

/**
 * A decoded request body. `fields` is `null` when the body could not be read as fields.
 *
 * @internal
 */
export interface ParsedFakeBody {
  readonly encoding: FakeBodyEncoding;
  readonly fields: Record<string, string> | null;
}

/**
 * Outcome of reading a body under a size cap.
 *
 * @internal
 */
export type ReadBodyResult = { tooLarge: false; body: Buffer } | { tooLarge: true };

/**
 * Reads a request body, keeping at most `limitBytes`. Past the cap the rest is drained and dropped
 * (memory stays bounded) and the result says `tooLarge`, so the caller can answer 413 to a client
 * that has finished sending.
 *
 * @internal
 */
export function readRequestBody(req: IncomingMessage, limitBytes: number): Promise<ReadBodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => {
      resolve(
        size > limitBytes ? { tooLarge: true } : { tooLarge: false, body: Buffer.concat(chunks) },
      );
    });
    req.on('error', reject);
  });
}

/**
 * Decodes a body as the providers would: `application/x-www-form-urlencoded`,
 * `multipart/form-data` (text fields) or `application/json` (a top-level object). Never throws:
 * garbage yields `fields: null`. For repeated fields the first value wins.
 *
 * @example
 * parseFakeRequestBody('application/x-www-form-urlencoded', Buffer.from('secret=s&response=t'));
 * // { encoding: 'form', fields: { secret: 's', response: 't' } }
 *
 * @internal
 */
export function parseFakeRequestBody(contentType: string, raw: Buffer): ParsedFakeBody {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const text = raw.toString('utf8');
  switch (mediaType) {
    case 'application/x-www-form-urlencoded':
      return { encoding: 'form', fields: fieldsFromEntries(new URLSearchParams(text)) };
    case 'multipart/form-data':
      return { encoding: 'multipart', fields: parseMultipart(contentType, text) };
    case 'application/json':
      return { encoding: 'json', fields: parseJsonObject(text) };
    case '':
      return raw.length === 0
        ? { encoding: 'none', fields: {} }
        : { encoding: 'other', fields: null };
    default:
      return { encoding: 'other', fields: null };
  }
}

function fieldsFromEntries(entries: Iterable<[string, string]>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (Object.prototype.hasOwnProperty.call(fields, name)) continue;
    // defineProperty, not assignment: a field named `__proto__` must stay a plain field.
    Object.defineProperty(fields, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return fields;
}

function parseJsonObject(text: string): Record<string, string> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (value === null || value === undefined) continue;
    entries.push([name, typeof value === 'object' ? JSON.stringify(value) : String(value)]);
  }
  return fieldsFromEntries(entries);
}

function parseMultipart(contentType: string, text: string): Record<string, string> | null {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) return null;
  const delimiter = `--${boundary}`;
  const parts = text.split(delimiter);
  // parts[0] is the preamble; a well-formed body ends with the closing `--boundary--`.
  if (parts.length < 2 || !parts[parts.length - 1]?.startsWith('--')) return null;
  const entries: [string, string][] = [];
  for (const part of parts.slice(1, -1)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) return null;
    const headers = part.slice(0, headerEnd);
    const name = /content-disposition:[^\r\n]*?;\s*name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) return null;
    entries.push([name, part.slice(headerEnd + 4).replace(/\r\n$/, '')]);
  }
  return fieldsFromEntries(entries);
}
