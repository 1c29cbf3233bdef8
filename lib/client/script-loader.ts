/** Widget scripts added to the page once per URL, with a clear error when one cannot load. */
import type { CaptchaProviderName } from '../contracts/captcha-provider-name.js';
import { CaptchaScriptError, cspAdvice } from './captcha-client-errors.js';
import { sameResource, type CspViolation } from './csp-violations.js';

/** @internal `options.scriptTimeoutMs` when unset. */
export const DEFAULT_SCRIPT_TIMEOUT_MS = 15_000;

const scripts = new Map<string, Promise<void>>();

/**
 * Adds `<script src=url>` once per URL (later calls share the first load) and resolves when it
 * has run. A failed load is forgotten, so a later call tries again. Rejects with
 * {@link CaptchaScriptError}, naming the CSP directive when a policy blocked it.
 * @public
 */
export function loadScript(
  url: string,
  provider: CaptchaProviderName | null = null,
  options: { module?: boolean; nonce?: string; timeoutMs?: number } = {},
): Promise<void> {
  const absolute = new URL(url, document.baseURI).href;
  let loading = scripts.get(absolute);
  if (!loading) {
    loading = insertScript(absolute, provider, options);
    scripts.set(absolute, loading);
    loading.catch(() => scripts.delete(absolute));
  }
  return loading;
}

function insertScript(
  url: string,
  provider: CaptchaProviderName | null,
  options: { module?: boolean; nonce?: string; timeoutMs?: number },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    const violations: CspViolation[] = [];
    const onViolation = (event: SecurityPolicyViolationEvent) => {
      if (event.disposition !== 'report' && sameResource(event.blockedURI, url)) {
        violations.push({ directive: event.effectiveDirective, blockedUri: event.blockedURI });
      }
    };
    const timeoutMs = options.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
    const timer = setTimeout(() => fail('did not load within ' + timeoutMs + ' ms'), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      document.removeEventListener('securitypolicyviolation', onViolation);
    };
    function fail(what: string) {
      done();
      script.remove();
      const violation = violations[0];
      const name = provider ? `the ${provider} widget script` : 'the script';
      if (violation) {
        reject(
          new CaptchaScriptError(
            `Could not load ${name} ${url}: the page's Content-Security-Policy blocked it ` +
              `(${violation.directive}). ${cspAdvice(provider)}`,
            provider,
            url,
            violation.directive,
          ),
        );
        return;
      }
      reject(
        new CaptchaScriptError(
          `Could not load ${name} ${url}: it ${what}. Check the URL (options.scriptUrls) and the ` +
            `network; if the page has a Content-Security-Policy, it may be blocking it. ` +
            cspAdvice(provider),
          provider,
          url,
        ),
      );
    }
    document.addEventListener('securitypolicyviolation', onViolation);
    script.src = url;
    script.async = true;
    if (options.module) script.type = 'module';
    if (options.nonce) script.nonce = options.nonce;
    script.addEventListener('load', () => {
      done();
      resolve();
    });
    // The violation event is queued as a task of its own; give it a moment to arrive.
    script.addEventListener('error', () => setTimeout(() => fail('failed to load'), 50));
    document.head.appendChild(script);
  });
}
