/** Content-Security-Policy violations that concern a widget's script, frames or calls. */

/** @internal */
export interface CspViolation {
  directive: string;
  blockedUri: string;
}

/**
 * Resolves with the first CSP violation that concerns `url`'s origin (its frames, its API calls),
 * until stopped. Blocked scripts are left to `loadScript`, which reports them with their URL.
 * @internal
 */
export function watchCspViolations(url: string | null): {
  violation: Promise<CspViolation>;
  stop(): void;
} {
  let stop = () => {};
  const violation = new Promise<CspViolation>((resolve) => {
    if (!url || typeof document === 'undefined') return;
    const origin = safeOrigin(url);
    const listener = (event: SecurityPolicyViolationEvent) => {
      if (event.disposition === 'report' || !/^https?:/i.test(event.blockedURI)) return;
      if (event.effectiveDirective.startsWith('script-src')) return;
      if (origin && safeOrigin(event.blockedURI) === origin) {
        resolve({ directive: event.effectiveDirective, blockedUri: event.blockedURI });
      }
    };
    document.addEventListener('securitypolicyviolation', listener);
    stop = () => document.removeEventListener('securitypolicyviolation', listener);
  });
  return { violation, stop: () => stop() };
}

/**
 * Whether a violation's `blockedURI` is `url`.
 * @internal
 */
export function sameResource(blocked: string, url: string): boolean {
  // 'inline', 'eval', 'blob', 'data': not a script URL.
  if (!/^https?:/i.test(blocked)) return false;
  if (blocked === url) return true;
  // Browsers report only the origin for cross-origin URLs after a redirect, or a stripped URL.
  return url.startsWith(blocked) || safeOrigin(blocked) === safeOrigin(url);
}

/** @internal */
export function safeOrigin(url: string): string | null {
  try {
    return new URL(url, document.baseURI).origin;
  } catch {
    return null;
  }
}
