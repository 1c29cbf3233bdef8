import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { AxiosRequestConfig } from 'axios';
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

/**
 * Posts to providers through `@nestjs/axios`, tuned for a login path: Node's own http transport
 * with shared keep-alive agents (no per-request TCP/TLS handshake), no redirects (skips
 * follow-redirects), a hard timeout, and every transport failure turned into a
 * {@link CaptchaUnavailableError} that never carries the request body.
 */
@Injectable()
export class ProviderHttpClient implements OnModuleDestroy {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

  constructor(
    private readonly http: HttpService,
    @Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions,
  ) {}

  /** Closes the pooled keep-alive sockets with the module. */
  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Sends the request, retrying once on a network error or 5xx (callers make retries safe). */
  async post(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    try {
      return await this.postOnce(request);
    } catch (error) {
      // A timeout is not retried: the caller already waited the whole budget.
      if (
        error instanceof CaptchaUnavailableError &&
        (error.kind === 'network' || error.kind === 'http_5xx')
      ) {
        return this.postOnce(request);
      }
      throw error;
    }
  }

  private async postOnce(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    const { provider, url } = request;
    const isForm = 'form' in request.body;
    const data = isForm
      ? new URLSearchParams((request.body as { form: Record<string, string> }).form).toString()
      : JSON.stringify((request.body as { json: unknown }).json);
    const config: AxiosRequestConfig = {
      adapter: 'http',
      timeout: this.options.timeoutMs,
      signal: AbortSignal.timeout(this.options.timeoutMs),
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
      const timedOut =
        code === 'ECONNABORTED' ||
        code === 'ERR_CANCELED' ||
        code === 'ETIMEDOUT' ||
        latencyMs >= this.options.timeoutMs;
      const kind = timedOut ? 'timeout' : 'network';
      const what = timedOut
        ? `no answer within ${this.options.timeoutMs} ms`
        : `network error ${code || 'unknown'}`.trim();
      throw new CaptchaUnavailableError(provider, kind, `${provider} unreachable: ${what}`, {
        latencyMs,
      });
    }
    const latencyMs = Math.round(performance.now() - started);
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
