/**
 * The small IPC protocol between the bench runner and its child processes (apps under test, the
 * fake provider, the memory probe): the child says `ready` once, then answers numbered calls.
 */

/** The first message of every child. */
export interface ReadyMessage {
  type: 'ready';
  /** The port an app listens on (127.0.0.1). */
  port?: number;
  /** The fake provider's reCAPTCHA siteverify URL. */
  verifyUrl?: string;
}

/** A call from the runner. */
export interface CallMessage {
  type: 'call';
  id: number;
  method: string;
  args?: unknown;
}

/** The answer to one call. */
export interface ReplyMessage {
  type: 'reply';
  id: number;
  value?: unknown;
  error?: string;
}

/** A child that could not start. */
export interface FailedMessage {
  type: 'failed';
  error: string;
}

export type ChildMessage = ReadyMessage | ReplyMessage | FailedMessage;

/** `process.cpuUsage()` of a child, in microseconds. */
export interface CpuSample {
  user: number;
  system: number;
}

type Handler = (args: unknown) => unknown;

/**
 * Child side: answers the runner's calls with `handlers` (plus `cpu`, and `stop`, which runs
 * `onStop` then exits so `--cpu-prof` can write its profile), then reports `ready`.
 */
export function serveCalls(
  ready: Omit<ReadyMessage, 'type'>,
  handlers: Record<string, Handler>,
  onStop: () => Promise<void> | void = () => undefined,
): void {
  const send = (message: ChildMessage) => process.send?.(message);
  const all: Record<string, Handler> = {
    cpu: (): CpuSample => process.cpuUsage(),
    ...handlers,
  };
  process.on('message', (raw: CallMessage) => {
    if (raw?.type !== 'call') return;
    if (raw.method === 'stop') {
      void Promise.resolve()
        .then(onStop)
        .catch(() => undefined)
        .then(() => {
          if (!process.send) process.exit(0);
          process.send({ type: 'reply', id: raw.id }, () => process.exit(0));
        });
      return;
    }
    const handler = all[raw.method];
    if (!handler) {
      send({ type: 'reply', id: raw.id, error: `unknown call ${raw.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(raw.args))
      .then(
        (value) => send({ type: 'reply', id: raw.id, value }),
        (error: unknown) => send({ type: 'reply', id: raw.id, error: String(error) }),
      );
  });
  // The runner went away (crashed or killed): do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', ...ready });
}

/** Child side: reports a start-up failure, then exits. */
export function failStart(error: unknown): void {
  const message: FailedMessage = {
    type: 'failed',
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
  if (!process.send) {
    console.error(message.error);
    process.exit(1);
  }
  process.send(message, () => process.exit(1));
}
