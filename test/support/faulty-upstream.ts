import {
  createConnection,
  createServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';

/**
 * - `forward`: pipe every connection to the target server unchanged (the fault is cleared).
 * - `refused`: nothing listens on the port; connecting fails with `ECONNREFUSED`.
 * - `reset-mid-response`: read the whole request, send the status line, the headers and 6 of the
 *   100 announced body bytes, then reset the connection (RST).
 */
export type UpstreamMode = 'forward' | 'refused' | 'reset-mid-response';

/** What `reset-mid-response` sends before resetting: a 200 whose JSON body is cut short. */
export const PARTIAL_RESPONSE =
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"succ';

/**
 * A raw TCP endpoint on 127.0.0.1 in front of a real HTTP server (the fake provider), for the
 * transport faults an HTTP server cannot produce. Its port stays the same across modes, so an app
 * configured with {@link FaultyUpstream.url} sees the fault come and go.
 */
export class FaultyUpstream {
  /** Connections accepted so far; in a fault mode, one per provider attempt. */
  connections = 0;
  private server: Server | undefined;
  private port = 0;
  private mode: UpstreamMode = 'forward';
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly targetPort: number) {}

  /** Listens on a free port (forwarding to `targetPort`), then switches to `mode`. */
  static async start(targetPort: number, mode: UpstreamMode): Promise<FaultyUpstream> {
    const upstream = new FaultyUpstream(targetPort);
    await upstream.listen(0);
    await upstream.setMode(mode);
    return upstream;
  }

  /** `http://127.0.0.1:PORT` + `path`. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Switches mode, ending every open connection (pooled keep-alive sockets included). */
  async setMode(mode: UpstreamMode): Promise<void> {
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (mode === 'refused') await this.stopListening();
    else if (!this.server) await this.listen(this.port);
  }

  /** Stops listening and ends every connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await this.stopListening();
  }

  private listen(port: number): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private accept(socket: Socket): void {
    this.connections += 1;
    this.track(socket);
    if (this.mode === 'forward') {
      const target = createConnection({ host: '127.0.0.1', port: this.targetPort });
      this.track(target);
      socket.on('close', () => target.destroy());
      target.on('close', () => socket.destroy());
      socket.pipe(target);
      target.pipe(socket);
      return;
    }
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!isCompleteRequest(received)) return;
      socket.off('data', onData);
      socket.write(PARTIAL_RESPONSE, () => socket.resetAndDestroy());
    };
    socket.on('data', onData);
  }
}

/** Whether `data` holds a whole HTTP/1.1 request: headers, then `Content-Length` body bytes. */
function isCompleteRequest(data: Buffer): boolean {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = data.subarray(0, end).toString('latin1');
  const length = /^content-length:\s*(\d+)\s*$/im.exec(head);
  return data.length - (end + 4) >= (length ? Number(length[1]) : 0);
}
