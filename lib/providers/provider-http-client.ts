import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/** Largest provider answer read; verdicts are a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Posts to providers, tuned for a login path: Node's own `http.request` on shared keep-alive
 * agents (no per-request TCP/TLS handshake), no redirects, a timer per attempt and one retry on a
 * network error or 5xx (cockatiel), and every transport failure turned into a
 * {@link CaptchaUnavailableError} that never carries the request body. Callers make the retry
 * safe (Turnstile resends the same `idempotency_key`).
 *
 * Why not axios: on a verified request axios cost ~255 µs of CPU against ~79 µs for this
 * transport on the same agents (bench/RESULTS.md), the largest part of the checkpoint's cost.
 */
@Injectable()
export class ProviderHttpClient implements OnModuleDestroy {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly ownsAgents: boolean;
  private readonly policy = retry(handleWhen(isRetryable), {
    maxAttempts: 1,
    backoff: new ConstantBackoff(25),
  });

  constructor(@Inject(CAPTCHA_OPTIONS) private readonly options: ResolvedCaptchaOptions) {
    this.httpAgent =
      options.httpAgents?.http ?? new HttpAgent({ keepAlive: true, maxSockets: 256 });
    this.httpsAgent =
      options.httpAgents?.https ?? new HttpsAgent({ keepAlive: true, maxSockets: 256 });
    this.ownsAgents = options.httpAgents === undefined;
  }

  /** Closes the pooled keep-alive sockets with the module (only agents it created). */
  onModuleDestroy(): void {
    if (!this.ownsAgents) return;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
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
      let settled = false;
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

      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        // The URL is validated at start-up; a bad one here is a provider template gone wrong.
        throw new CaptchaUnavailableError(
          provider,
          'misconfigured',
          `${provider} verify URL is invalid`,
        );
      }
      const secure = url.protocol === 'https:';
      const options = {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: {
          'content-type': isForm ? 'application/x-www-form-urlencoded' : 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(data),
          ...request.headers,
        },
      };
      const onResponse = (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            unavailable('bad_response', `answer larger than ${MAX_RESPONSE_BYTES} bytes`);
            call.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error: NodeJS.ErrnoException) =>
          unavailable('network', `network error ${error.code ?? 'unknown'}`),
        );
        response.on('aborted', () => unavailable('network', 'network error ECONNRESET'));
        response.on('end', () =>
          settle(() => {
            const status = response.statusCode ?? 0;
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
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              json = undefined;
            }
            resolve({ status, json, latencyMs });
          }),
        );
      };
      const call = secure
        ? httpsRequest(url, options, onResponse)
        : httpRequest(url, options, onResponse);
      const timer = setTimeout(() => {
        unavailable('timeout', `no answer within ${timeoutMs} ms`);
        call.destroy();
      }, timeoutMs);
      call.on('error', (error: NodeJS.ErrnoException) =>
        unavailable('network', `network error ${error.code ?? 'unknown'}`),
      );
      call.end(data);
    });
  }
}
