import type { FakeProviderName } from './fake-provider';

/**
 * A failure to inject on one provider's route, for testing timeouts, retries and outage policy.
 *
 * - `status` and/or `body`: answer that instead of a verdict; the request never reaches the
 *   provider, so its token stays unspent. `status` alone sends
 *   `{"success":false,"error-codes":["internal-error"]}` (reCAPTCHA Enterprise, Friendly Captcha
 *   and CaptchaLa answer their own error shapes); `body` alone is sent with status 200.
 * - `delayMs` alone: the provider judges the request at once (the token is spent) and the answer
 *   is held back, like a slow network; combined with `status`/`body`, the fault is sent late.
 * - `hang`: never answer until {@link FakeCaptchaServer.close}; the request is not judged.
 * - `closeConnection`: destroy the socket without an answer; the request is not judged.
 * - `endpoint`: only requests on that endpoint of the provider are faulted (`'verify'`, or a name of
 *   {@link FakeCaptchaServer.endpointUrl}, e.g. CaptchaLa's `'backup'`); others pass it by.
 *   Default: every endpoint of the provider.
 *
 * @example
 * server.fault('turnstile', { status: 503, times: 1 });       // one 503, then normal again
 * server.fault('hcaptcha', { body: '<html>oops', contentType: 'text/html' });
 * server.fault('captchala', { status: 503, endpoint: 'backup' }); // offline_ tokens only
 *
 * @public
 */
export interface FaultOptions {
  status?: number;
  body?: string;
  /** Content type of the fault answer (default `application/json`). */
  contentType?: string;
  delayMs?: number;
  hang?: boolean;
  closeConnection?: boolean;
  /** Apply to the next N requests only (default: until `clearFaults()`). */
  times?: number;
  /** Fault only this endpoint (`'verify'` or an {@link FakeCaptchaServer.endpointUrl} name). */
  endpoint?: string;
}

interface ScheduledFault {
  readonly options: FaultOptions;
  remaining: number;
}

/**
 * Faults waiting per provider, applied first-in first-out: a fault with `times` is used up, one
 * without stays in front until cleared.
 *
 * @internal
 */
export class FakeFaultSchedule {
  private readonly faults = new Map<FakeProviderName, ScheduledFault[]>();

  /**
   * Queues a fault for `provider`.
   *
   * @throws TypeError when the fault does nothing, RangeError on a bad `times`, `delayMs` or `status`.
   */
  add(provider: FakeProviderName, options: FaultOptions): void {
    const { status, body, delayMs, hang, closeConnection, times } = options;
    if (status === undefined && body === undefined && !delayMs && !hang && !closeConnection) {
      throw new TypeError('A fault needs status, body, delayMs, hang or closeConnection');
    }
    if (times !== undefined && !(Number.isInteger(times) && times > 0)) {
      throw new RangeError(`times must be a positive integer, got ${times}`);
    }
    if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) {
      throw new RangeError(`delayMs must be a finite number >= 0, got ${delayMs}`);
    }
    if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) {
      throw new RangeError(`status must be an HTTP status code, got ${status}`);
    }
    const queue = this.faults.get(provider) ?? [];
    queue.push({ options: { ...options }, remaining: times ?? Number.POSITIVE_INFINITY });
    this.faults.set(provider, queue);
  }

  /**
   * The fault to apply to the next request on `provider`'s `endpoint`, counting it as used: the
   * first queued one for that endpoint or for every endpoint.
   */
  take(provider: FakeProviderName, endpoint = 'verify'): FaultOptions | undefined {
    const queue = this.faults.get(provider);
    if (!queue) return undefined;
    const index = queue.findIndex(
      (fault) => fault.options.endpoint === undefined || fault.options.endpoint === endpoint,
    );
    if (index < 0) return undefined;
    const next = queue[index];
    next.remaining -= 1;
    if (next.remaining <= 0) queue.splice(index, 1);
    return next.options;
  }

  /** Drops every fault on every provider. */
  clear(): void {
    this.faults.clear();
  }
}
