import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { CaptchaUnavailableError } from 'nestjs-captcha';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';

type ProviderHttpClientModule = typeof import('../../dist/lib/providers/provider-http-client');
type ProviderHttpRequest =
  import('../../dist/lib/providers/provider-http-client').ProviderHttpRequest;
type ProviderHttpResponse =
  import('../../dist/lib/providers/provider-http-client').ProviderHttpResponse;

/**
 * `BENCH_DIAG=1` only, never the library as shipped: replaces `ProviderHttpClient.post` in this
 * process with the transport proposed in bench/RESULTS.md (Node's `http.request` on the same
 * shared keep-alive agents, its own timer for the timeout, cockatiel's retry on a network error or
 * 5xx as before; no axios, no per-call AbortController), so the whole request path can be
 * measured "after" without touching `lib/`.
 */
export function installPrototypeTransport(): void {
  const packageRoot = join(__dirname, '..', '..', '..');
  // Internal, not in the package's exports: loaded by path, for diagnostics only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ProviderHttpClient } = require(
    join(packageRoot, 'dist/lib/providers/provider-http-client'),
  ) as ProviderHttpClientModule;
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  const isRetryable = handleWhen(
    (error) =>
      error instanceof CaptchaUnavailableError &&
      (error.kind === 'network' || error.kind === 'http_5xx'),
  );
  const policy = retry(isRetryable, { maxAttempts: 1, backoff: new ConstantBackoff(25) });

  ProviderHttpClient.prototype.post = function post(
    this: { options: { timeoutMs: number } },
    call: ProviderHttpRequest,
  ): Promise<ProviderHttpResponse> {
    const timeoutMs = this.options.timeoutMs;
    return policy.execute(() => postOnce(call, timeoutMs));
  };

  function postOnce(call: ProviderHttpRequest, timeoutMs: number): Promise<ProviderHttpResponse> {
    const { provider } = call;
    const isForm = 'form' in call.body;
    const body = isForm
      ? new URLSearchParams((call.body as { form: Record<string, string> }).form).toString()
      : JSON.stringify((call.body as { json: unknown }).json);
    const url = new URL(call.url);
    const https = url.protocol === 'https:';
    const started = performance.now();
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (kind: 'timeout' | 'network', what: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(
          new CaptchaUnavailableError(provider, kind, `${provider} unreachable: ${what}`, {
            latencyMs: Math.round(performance.now() - started),
          }),
        );
      };
      const onResponse = (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', () => fail('network', 'network error'));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          const latencyMs = Math.round(performance.now() - started);
          if (status === 429 || status >= 500) {
            reject(
              new CaptchaUnavailableError(
                provider,
                status === 429 ? 'http_4xx' : 'http_5xx',
                `${provider} answered HTTP ${status}`,
                { status, latencyMs },
              ),
            );
            return;
          }
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status, json, latencyMs });
        });
      };
      const options = {
        method: 'POST',
        agent: https ? httpsAgent : httpAgent,
        headers: {
          'content-type': isForm ? 'application/x-www-form-urlencoded' : 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
          ...call.headers,
        },
      };
      const req = https
        ? httpsRequest(url, options, onResponse)
        : httpRequest(url, options, onResponse);
      const timer = setTimeout(() => {
        fail('timeout', `no answer within ${timeoutMs} ms`);
        req.destroy();
      }, timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) =>
        fail('network', `network error ${error.code ?? 'unknown'}`),
      );
      req.end(body);
    });
  }
}
