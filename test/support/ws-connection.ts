/** A `ws` client for gateway specs: one connection, its answers queued in order. */

/** The part of the `ws` client used here (`@types/ws` is not installed). */
export interface WsClient {
  readyState: number;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  send(data: string): void;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const WebSocket = require('ws') as new (
  url: string,
  options?: { headers?: Record<string, string> },
) => WsClient;

export interface Answer {
  event: string;
  data: {
    status?: string;
    error?: string;
    message?: string;
    details?: Record<string, unknown>;
    ok?: boolean;
    keys?: string[];
  };
}

/** A connection that queues what the server sends. */
export class Connection {
  private readonly received: Answer[] = [];
  private readonly waiting: ((answer: Answer) => void)[] = [];

  private constructor(private readonly socket: WsClient) {
    socket.on('message', (raw) => {
      const answer = JSON.parse(raw.toString()) as Answer;
      const waiter = this.waiting.shift();
      if (waiter) waiter(answer);
      else this.received.push(answer);
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.on('error', reject);
      socket.on('open', () => resolve(new Connection(socket)));
    });
  }

  /** Sends one message and resolves with the next answer, or rejects after `timeoutMs`. */
  ask(event: string, data: unknown, timeoutMs = 2_000): Promise<Answer> {
    this.socket.send(JSON.stringify({ event, data }));
    return this.next(timeoutMs);
  }

  next(timeoutMs = 2_000): Promise<Answer> {
    const queued = this.received.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (answer: Answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      this.waiting.push(waiter);
    });
  }

  get open(): boolean {
    return this.socket.readyState === 1;
  }

  close(): void {
    this.socket.close();
  }
}
