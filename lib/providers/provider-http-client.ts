import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { Agent, Dispatcher } from 'undici';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaVerifierName } from '../contracts/captcha-provider-name';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';

/**
 * A provider's raw HTTP answer.
 *
 * @internal
 */
export interface ProviderHttpResponse {
  status: number;
  /** The parsed JSON body, or `undefined` when the body was not JSON. */
  json: unknown;
  latencyMs: number;
}

/**
 * One provider call.
 *
 * @internal
 */
export interface ProviderHttpRequest {
  provider: CaptchaVerifierName;
  url: string;
  /** Form fields (sent url-encoded) or a JSON value. */
  body: { form: Record<string, string> } | { json: unknown };
  headers?: Record<string, string>;
}

/** Transport failures worth one more attempt: the request most likely never reached a verdict. */
const isRetryable = (error: unknown) =>
  error instanceof CaptchaUnavailableError &&
  (error.kind === 'network' || error.kind === 'http_5xx');

/** Largest provider answer read; verdicts are a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Provider URLs parsed and kept at most (a module has one to a few). */
const MAX_CACHED_URLS = 64;

/**
 * undici reports a connection the server closed or reset under it as `UND_ERR_SOCKET`; Node's
 * `http.request`, which this client used before, said `ECONNRESET`. Kept so logs and alerts read
 * the same.
 */
const networkCode = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_SOCKET') return 'ECONNRESET';
  return typeof code === 'string' && code !== '' ? code : 'unknown';
};

/** `value` as an http(s) URL, or `undefined`. */
function parseHttpUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
}

/**
 * Posts to providers, tuned for a login path: undici's lowest-level `dispatch` on one shared
 * keep-alive {@link Agent} (a pool per provider origin, no per-request TCP/TLS handshake), the
 * answer collected by a handler object, no redirects, a timer per attempt bounding connection,
 * headers and body, and one retry on a network error or 5xx (cockatiel), and every transport
 * failure turned into a {@link CaptchaUnavailableError} that never carries the request body.
 * Callers make the retry safe (Turnstile resends the same `idempotency_key`).
 *
 * Why undici's `dispatch`: the provider call is the largest CPU cost of a verified request.
 * The timeout is a plain timer that aborts through the handle undici gives the handler.
 * Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#provider-transport
 *
 * @internal
 */
@Injectable()
export class ProviderHttpClient implements OnModuleDestroy {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly targets = new Map<string, { origin: string; path: string }>();
  private readonly policy = retry(handleWhen(isRetryable), {
    maxAttempts: 1,
    backoff: new ConstantBackoff(25),
  });

  constructor(@Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions) {
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 30_000,
        connections: 256,
        pipelining: 1,
        // Above the attempt timer, which is what ends a slow connection (undici's default is 10 s).
        connect: { timeout: options.timeoutMs + 1_000 },
      });
  }

  /** Closes the pooled keep-alive connections with the module (only a dispatcher it created). */
  async onModuleDestroy(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.destroy();
  }

  /**
   * The origin and path of a provider URL, parsed once: providers post to a handful of fixed
   * URLs, and `new URL` is a measurable part of a call (benchmarked).
   */
  private targetOf(value: string): { origin: string; path: string } | undefined {
    let target = this.targets.get(value);
    if (target === undefined) {
      const url = parseHttpUrl(value);
      if (!url) return undefined;
      target = { origin: url.origin, path: url.pathname + url.search };
      // Bounded, in case a custom provider builds URLs per request.
      if (this.targets.size < MAX_CACHED_URLS) this.targets.set(value, target);
    }
    return target;
  }

  /** Sends the request: a timeout per attempt (not retried), one retry on a network error or 5xx. */
  post(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    return this.policy.execute(() => this.postOnce(request));
  }

  private postOnce(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    const { provider } = request;
    const timeoutMs = this.options.timeoutMs;
    const isForm = 'form' in request.body;
    const data = isForm
      ? new URLSearchParams((request.body as { form: Record<string, string> }).form).toString()
      : JSON.stringify((request.body as { json: unknown }).json);
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);

    return new Promise<ProviderHttpResponse>((resolve, reject) => {
      const url = this.targetOf(request.url);
      if (!url) {
        // The URL is validated at start-up; a bad one here is a provider template gone wrong.
        throw new CaptchaUnavailableError(
          provider,
          'misconfigured',
          `${provider} verify URL is invalid`,
        );
      }

      let settled = false;
      // undici's handle to end this request, given once it is on a connection.
      let abortRequest: ((error?: Error) => void) | undefined;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const unavailable = (kind: 'timeout' | 'network' | 'bad_response', what: string) =>
        settle(() =>
          reject(
            new CaptchaUnavailableError(provider, kind, `${provider} unreachable: ${what}`, {
              latencyMs: latency(),
            }),
          ),
        );
      const timer = setTimeout(() => {
        unavailable('timeout', `no answer within ${timeoutMs} ms`);
        abortRequest?.(new Error('timed out'));
      }, timeoutMs);

      let status = 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const handler: Dispatcher.DispatchHandlers = {
        onConnect: (abort) => {
          // Timed out while waiting for a connection: end it before anything is sent.
          if (settled) abort(new Error('timed out'));
          else abortRequest = abort;
        },
        onHeaders: (statusCode) => {
          // 1xx informational answers come before the real one.
          if (statusCode >= 200) status = statusCode;
          return true;
        },
        onData: (chunk) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            unavailable('bad_response', `answer larger than ${MAX_RESPONSE_BYTES} bytes`);
            abortRequest?.(new Error('answer too large'));
            return false;
          }
          chunks.push(chunk);
          return true;
        },
        onComplete: () =>
          settle(() => {
            const latencyMs = latency();
            if (status === 429 || status >= 500) {
              reject(
                new CaptchaUnavailableError(
                  provider,
                  status === 429 ? 'http_4xx' : 'http_5xx',
                  status === 429
                    ? `${provider} is rate limiting us (HTTP 429)`
                    : `${provider} answered HTTP ${status}`,
                  { status, latencyMs },
                ),
              );
              return;
            }
            let json: unknown;
            try {
              // A verdict is one chunk: no concatenation then.
              const text =
                chunks.length === 1
                  ? chunks[0].toString('utf8')
                  : Buffer.concat(chunks).toString('utf8');
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status, json, latencyMs });
          }),
        onError: (error) => unavailable('network', `network error ${networkCode(error)}`),
      };

      try {
        this.dispatcher.dispatch(
          {
            origin: url.origin,
            path: url.path,
            method: 'POST',
            headers: {
              'content-type': isForm ? 'application/x-www-form-urlencoded' : 'application/json',
              accept: 'application/json',
              ...request.headers,
            },
            body: data,
          },
          handler,
        );
      } catch (error) {
        // Refused before anything was sent (a header undici rejects, a closed dispatcher).
        unavailable('network', `network error ${networkCode(error)}`);
      }
    });
  }
}
