/** What a masked secret reads as. */
const MASK = '***';

/**
 * A URL as it may be shown in messages, logs and `doctor` output: the user-info password (or a
 * lone user name, which is often a token: `https://TOKEN@host`), every query value
 * (`?api_key=…`, `?token=…`, `?key=…`) and the fragment are replaced by `***`; the scheme, host,
 * port, path and query names stay, so the operator still sees which URL is meant. Works on text
 * that does not parse as a URL too (the text being refused may be malformed). Path segments are
 * kept: a secret in the path cannot be told from a route.
 *
 * @example
 * ```ts
 * maskUrlSecrets('https://user:pw@proxy.example/siteverify?api_key=abc&region=eu#t');
 * // 'https://user:***@proxy.example/siteverify?api_key=***&region=***#***'
 * ```
 * @internal
 */
export function maskUrlSecrets(url: string): string {
  let rest = url;
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    fragment = `#${MASK}`;
    rest = rest.slice(0, hash);
  }
  let query = '';
  const question = rest.indexOf('?');
  if (question !== -1) {
    const params = rest.slice(question + 1);
    rest = rest.slice(0, question);
    query = `?${params
      .split(/([&;])/)
      .map((part) => {
        if (part === '&' || part === ';' || part === '') return part;
        const equals = part.indexOf('=');
        return equals === -1 ? MASK : `${part.slice(0, equals)}=${MASK}`;
      })
      .join('')}`;
  }
  // User info: between `scheme://` and the last `@` of the authority (a raw `@` may sit in a
  // password that was not percent-encoded).
  const authority = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)/i.exec(rest);
  if (authority) {
    const [whole, scheme, host] = authority;
    const at = host.lastIndexOf('@');
    if (at !== -1) {
      const userInfo = host.slice(0, at);
      const colon = userInfo.indexOf(':');
      const shown = colon === -1 ? MASK : `${userInfo.slice(0, colon)}:${MASK}`;
      rest = `${scheme}${shown}${host.slice(at)}${rest.slice(whole.length)}`;
    }
  }
  return `${rest}${query}${fragment}`;
}

/**
 * The secret parts of a URL (user-info password or lone user name, query values, fragment), raw
 * and percent-decoded, for redacting free text that may quote the URL (an error message from a
 * library). Parts shorter than 4 characters are left out: they would blank out ordinary words.
 * @internal
 */
export function urlSecretParts(url: string): string[] {
  const parts: string[] = [];
  const hash = url.indexOf('#');
  if (hash !== -1) parts.push(url.slice(hash + 1));
  const withoutFragment = hash === -1 ? url : url.slice(0, hash);
  const question = withoutFragment.indexOf('?');
  if (question !== -1) {
    for (const part of withoutFragment.slice(question + 1).split(/[&;]/)) {
      const equals = part.indexOf('=');
      parts.push(equals === -1 ? part : part.slice(equals + 1));
    }
  }
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(withoutFragment);
  const at = authority ? authority[1].lastIndexOf('@') : -1;
  if (authority && at !== -1) {
    const userInfo = authority[1].slice(0, at);
    const colon = userInfo.indexOf(':');
    parts.push(colon === -1 ? userInfo : userInfo.slice(colon + 1));
  }
  const decoded = parts.map((part) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return part;
    }
  });
  return [...new Set([...parts, ...decoded])].filter((part) => part.length >= 4);
}
