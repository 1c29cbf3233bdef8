import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { CaptchaUnavailableError } from 'nestjs-captcha';
import type { ResolvedCaptchaOptions } from '../../lib/config/resolved-captcha-options';
import { ProviderHttpClient } from '../../lib/providers/provider-http-client';
import { answeredWithin, HUNG_AFTER_MS } from '../support/eventually';

type Route = (request: IncomingMessage, response: ServerResponse, body: string) => void;

/** A plain HTTP server on 127.0.0.1 answering each POST through `route`. */
async function serve(route: Route): Promise<{ url: string; server: Server; received: string[] }> {
  const received: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push(body);
      route(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/siteverify`, server, received };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const clientWith = (timeoutMs: number, dispatcher?: Agent) =>
  new ProviderHttpClient({ timeoutMs, dispatcher } as unknown as ResolvedCaptchaOptions);

const post = (client: ProviderHttpClient, url: string, response = 'token') =>
  client.post({ provider: 'turnstile', url, body: { form: { secret: 's3cr3t', response } } });

/**
 * The transport under every provider: undici's `dispatch` with a handler object, against a real
 * local server. The provider specs and the outage matrix cover statuses, resets, refused
 * connections, hangs and bad bodies; these are the edges of the handler itself.
 */
describe('ProviderHttpClient', () => {
  const servers: Server[] = [];
  const clients: ProviderHttpClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.onModuleDestroy()));
    await Promise.all(servers.splice(0).map(close));
  });
  const start = async (route: Route, timeoutMs = 2_000, dispatcher?: Agent) => {
    const upstream = await serve(route);
    servers.push(upstream.server);
    const client = clientWith(timeoutMs, dispatcher);
    clients.push(client);
    return { ...upstream, client };
  };

  it('sends the form url-encoded and reads a JSON answer written in many chunks', async () => {
    const { url, client, received } = await start((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const text = JSON.stringify({ success: true, padding: 'x'.repeat(200_000) });
      for (let i = 0; i < text.length; i += 16_384) response.write(text.slice(i, i + 16_384));
      response.end();
    });
    const answer = await post(client, url, 'tok en&=');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ success: true });
    expect((answer.json as { padding: string }).padding).toHaveLength(200_000);
    expect(received).toEqual(['secret=s3cr3t&response=tok+en%26%3D']);
  });

  it('skips an informational 102 answer and reads the final one', async () => {
    const { url, client } = await start((_request, response) => {
      response.writeProcessing();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"success":false,"error-codes":["timeout-or-duplicate"]}');
    });
    const answer = await post(client, url);
    expect(answer).toMatchObject({
      status: 200,
      json: { success: false, 'error-codes': ['timeout-or-duplicate'] },
    });
  });

  it('gives up on an answer larger than 1 MB as bad_response, without reading it all', async () => {
    let written = 0;
    const { url, client } = await start((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('error', () => undefined);
      pump();
    });
    const error = await post(client, url).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CaptchaUnavailableError);
    expect(error).toMatchObject({
      kind: 'bad_response',
      message: expect.stringMatching(/larger than/),
    });
    // The connection was cut: far less than the 64 MB on offer went out.
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('times out a request still waiting for a connection, and never sends it afterwards', async () => {
    const hung: ServerResponse[] = [];
    const dispatcher = new Agent({ connections: 1, pipelining: 1 });
    const { url, client, received } = await start(
      (_request, response) => {
        if (hung.length === 0) hung.push(response);
        else response.end('{"success":true}');
      },
      150,
      dispatcher,
    );
    const first = post(client, url, 'first').catch((caught: unknown) => caught);
    const second = post(client, url, 'second').catch((caught: unknown) => caught);
    expect(await second).toMatchObject({ kind: 'timeout' });
    expect(await first).toMatchObject({ kind: 'timeout' });
    hung[0]?.end('{"success":true}');
    // close() resolves once every request still queued on the dispatcher has been sent and
    // answered: had the timed-out one stayed queued, the server would have received it by then.
    await dispatcher.close();
    expect(received).toEqual(['secret=s3cr3t&response=first']);
  });

  it('turns a request undici refuses before sending into a network error, at once', async () => {
    // A timeout far beyond the hang guard: only an answer that does not wait for it arrives.
    const { url, client, received } = await start(
      (_request, response) => response.end('{}'),
      HUNG_AFTER_MS * 10,
    );
    const error = await answeredWithin(
      client
        .post({
          provider: 'turnstile',
          url,
          body: { form: { response: 'token' } },
          headers: { 'x-bad\nheader': 'value' },
        })
        .catch((caught: unknown) => caught),
      'a request undici refuses',
    );
    expect(error).toBeInstanceOf(CaptchaUnavailableError);
    expect(error).toMatchObject({ kind: 'network' });
    expect(received).toEqual([]);
  });
});
