import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { AxiosRequestConfig } from 'axios';
import { ConstantBackoff, handleWhen, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { CaptchaUnavailableError } from '../errors/captcha-unavailable.error';
import type { CaptchaProviderName } from './captcha-provider-name';
import { CAPTCHA_OPTIONS } from '../captcha.module-definition';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';

/** A provider's raw HTTP answer. */
export interface ProviderHttpResponse {
  status: number;
  /** The parsed JSON body, or `undefined` when the body was not JSON. */
  json: unknown;
  latencyMs: number;
}

/** One provider call. */
export interface ProviderHttpRequest {
  provider: CaptchaProviderName;
  url: string;
  /** Form fields (sent url-encoded) or a JSON value. */
  body: { form: Record<string, string> } | { json: unknown };
  headers?: Record<string, string>;
}

/** Transport failures worth one more attempt: the request most likely never reached a verdict. */
const isRetryable = (error: unknown) =>
  error instanceof CaptchaUnavailableError &&
  (error.kind === 'network' || error.kind === 'http_5xx');

/**
 * Posts to providers through `@nestjs/axios`, tuned for a login path: Node's own http transport
 * with shared keep-alive agents (no per-request TCP/TLS handshake), no redirects (skips
 * follow-redirects), a timeout per attempt and one retry on a network error or 5xx (cockatiel),
 * and every transport failure turned into a {@link CaptchaUnavailableError} that never carries
 * the request body. Callers make the retry safe (Turnstile resends the same `idempotency_key`).
 */
@Injectable()
export class ProviderHttpClient implements OnModuleDestroy {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly ownsAgents: boolean;
  private readonly policy;

  constructor(
    private readonly http: HttpService,
    @Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions,
  ) {
    this.httpAgent =
      options.httpAgents?.http ?? new HttpAgent({ keepAlive: true, maxSockets: 256 });
    this.httpsAgent =
      options.httpAgents?.https ?? new HttpsAgent({ keepAlive: true, maxSockets: 256 });
    this.ownsAgents = options.httpAgents === undefined;
    // A timed-out attempt is not retried: the caller already waited the whole budget.
    this.policy = wrap(
      retry(handleWhen(isRetryable), { maxAttempts: 1, backoff: new ConstantBackoff(25) }),
      timeout(options.timeoutMs, TimeoutStrategy.Cooperative),
    );
  }

  /** Closes the pooled keep-alive sockets with the module (only agents it created). */
  onModuleDestroy(): void {
    if (!this.ownsAgents) return;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Sends the request: a timeout per attempt, one retry on a network error or 5xx. */
  post(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    return this.policy.execute(({ signal }) => this.postOnce(request, signal));
  }

  private async postOnce(
    request: ProviderHttpRequest,
    signal: AbortSignal,
  ): Promise<ProviderHttpResponse> {
    const { provider, url } = request;
    const isForm = 'form' in request.body;
    const data = isForm
      ? new URLSearchParams((request.body as { form: Record<string, string> }).form).toString()
      : JSON.stringify((request.body as { json: unknown }).json);
    const config: AxiosRequestConfig = {
      adapter: 'http',
      signal,
      maxRedirects: 0,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      responseType: 'text',
      transformResponse: [(body: unknown) => body],
      validateStatus: () => true,
      headers: {
        'content-type': isForm ? 'application/x-www-form-urlencoded' : 'application/json',
        accept: 'application/json',
        ...request.headers,
      },
    };
    const started = performance.now();
    let status: number;
    let text: string;
    try {
      const response = await this.http.axiosRef.post<string>(url, data, config);
      status = response.status;
      text = typeof response.data === 'string' ? response.data : '';
    } catch (error) {
      const latencyMs = Math.round(performance.now() - started);
      const code = (error as { code?: string }).code ?? '';
      const timedOut = signal.aborted || code === 'ECONNABORTED' || code === 'ETIMEDOUT';
      const kind = timedOut ? 'timeout' : 'network';
      const what = timedOut
        ? `no answer within ${this.options.timeoutMs} ms`
        : `network error ${code || 'unknown'}`.trim();
      throw new CaptchaUnavailableError(provider, kind, `${provider} unreachable: ${what}`, {
        latencyMs,
      });
    }
    const latencyMs = Math.round(performance.now() - started);
    if (status === 429) {
      throw new CaptchaUnavailableError(
        provider,
        'http_4xx',
        `${provider} is rate limiting us (HTTP 429)`,
        {
          status,
          latencyMs,
        },
      );
    }
    if (status >= 500) {
      throw new CaptchaUnavailableError(
        provider,
        'http_5xx',
        `${provider} answered HTTP ${status}`,
        { status, latencyMs },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status, json, latencyMs };
  }
}
