import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CaptchaConfigError } from '../config/captcha-config.error';
import type {
  CaptchaRedisClient,
  CaptchaRedisOptions,
} from '../config/captcha-module-options.interface';
import type { CaptchaStore } from './captcha-store.interface';
import { CaptchaClaimRefusedError, CaptchaStoreError } from './captcha-store.error';
import { closeClient, createClient, redact, toTtl } from './redis-store-client';
import { mayRunLate, undoLateWrite } from './redis-late-writes';
import { DECREMENT_SCRIPT, DELETE_IF_VALUE_SCRIPT, INCREMENT_SCRIPT } from './redis-store-scripts';

const DEFAULT_KEY_PREFIX = 'captcha:';
const DEFAULT_COMMAND_TIMEOUT_MS = 100;
/** Longest `close()` waits for a polite `QUIT` before dropping the connection. */
const QUIT_TIMEOUT_MS = 1_000;
/** ioredis events that end a connection attempt, one way or the other. */
const HANDSHAKE_END_EVENTS = ['ready', 'close', 'end'] as const;

/**
 * {@link CaptchaStore} in Redis, shared by every app instance: counters and replay protection hold
 * across the fleet. Each operation is one atomic command (a Lua `EVAL` for `increment` and
 * `decrement`, `SET NX PX` for `claim`, `GET`, `DEL`), on one key, so it works unchanged on Redis Cluster.
 *
 * Built for outages: every operation settles within `commandTimeoutMs` (default 100 ms), rejecting
 * with a {@link CaptchaStoreError} while Redis is down or slow, rather than queueing requests until
 * it is back. That holds for a client you pass in too, even one with an offline queue: the store
 * races each command against its own timer.
 *
 * A caller told "failed" finds no trace of its write later. A command that timed out was sent, and
 * a frozen Redis runs it when it resumes; so a timed-out write is followed, on the same
 * connection, by its undo, which Redis runs right after it: a claim (each writes a value of its
 * own) is deleted if it still holds that value; an increment is taken back with a decrement. A
 * token whose claim timed out (503) can be retried, and an attempt refused for the outage is not
 * counted. Decrements, resets and releases are left to run late: they only give back.
 *
 * - `url`: the store creates an ioredis client (no offline queue, a command timeout, reconnection
 *   with a short capped backoff) and closes it in `close()` / `onModuleDestroy()`.
 * - `client`: an ioredis `Redis` or `Cluster` you own; the store never closes it. Attach your own
 *   `'error'` listener to it.
 *
 * Keys are `keyPrefix` + the (already hashed) key; an ioredis `keyPrefix` on a passed client adds
 * in front of it.
 *
 * @example
 * ```ts
 * const store = new RedisCaptchaStore({ url: process.env.CAPTCHA_REDIS_URL });
 * // or: new RedisCaptchaStore({ client: new Cluster(nodes), keyPrefix: 'myapp:captcha:' })
 * await store.claim(hashStoreKey('claim', provider, token), 300_000); // true once, then false
 * ```
 *
 * @public
 */
export class RedisCaptchaStore implements CaptchaStore {
  private readonly client: CaptchaRedisClient;
  /** The client this store created, and so must close; `undefined` for a passed client. */
  private readonly ownClient: Redis | undefined;
  private readonly keyPrefix: string;
  private readonly commandTimeoutMs: number;
  /** Last connection error of our own client, for a more useful "not connected" message. */
  private lastConnectionError: Error | undefined;
  private closing: Promise<void> | undefined;
  /** Settles when our own client's connection attempt under way succeeds or fails. */
  private handshake: Promise<void> | undefined;
  /** Claim values are this store's id and a sequence number: unique, and cheap to make. */
  private readonly claimOwner = randomBytes(6).toString('base64url') + ':';
  private claimSequence = 0;

  /**
   * @param options `url` or `client` (exactly one), `keyPrefix` (default `'captcha:'`),
   *   `commandTimeoutMs` (default `100`).
   * @throws CaptchaConfigError when the options are unusable, or `url` is given and the `ioredis`
   *   package is not installed.
   */
  constructor(options: CaptchaRedisOptions) {
    const { url, client } = options;
    if ((url === undefined || url === '') === (client === undefined)) {
      throw new CaptchaConfigError([
        'redis: give exactly one of `url` (CAPTCHA_REDIS_URL) or `client` for CAPTCHA_STORE=redis',
      ]);
    }
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    if (!Number.isFinite(this.commandTimeoutMs) || this.commandTimeoutMs <= 0) {
      throw new CaptchaConfigError([
        `redis.commandTimeoutMs: ${String(options.commandTimeoutMs)} is not a positive number of milliseconds`,
      ]);
    }

    if (client !== undefined) {
      this.client = client;
      this.ownClient = undefined;
    } else {
      const own = createClient(url as string, this.commandTimeoutMs);
      // Without a listener ioredis prints every failed reconnection; the store reports failures
      // through its rejected operations instead.
      own.on('error', (error: Error) => {
        this.lastConnectionError = error;
      });
      own.on('ready', () => {
        this.lastConnectionError = undefined;
      });
      this.client = own;
      this.ownClient = own;
    }
  }

  async increment(key: string, windowMs: number): Promise<number> {
    const ttl = toTtl(windowMs, 'windowMs');
    const fullKey = this.keyPrefix + key;
    const reply = await this.run(
      'increment',
      (client) => client.eval(INCREMENT_SCRIPT, 1, fullKey, ttl),
      DECREMENT_SCRIPT,
      fullKey,
    );
    const count = Number(reply);
    if (!Number.isSafeInteger(count)) {
      throw new CaptchaStoreError('redis store unavailable: increment returned no count');
    }
    return count;
  }

  async decrement(key: string): Promise<number> {
    const reply = await this.run('decrement', (client) =>
      client.eval(DECREMENT_SCRIPT, 1, this.keyPrefix + key),
    );
    const count = Number(reply);
    if (!Number.isSafeInteger(count)) {
      throw new CaptchaStoreError('redis store unavailable: decrement returned no count');
    }
    return count;
  }

  async count(key: string): Promise<number> {
    const value = await this.run('count', (client) => client.get(this.keyPrefix + key));
    const count = value === null ? 0 : Number(value);
    return Number.isSafeInteger(count) ? count : 0;
  }

  async reset(key: string): Promise<void> {
    await this.run('reset', (client) => client.del(this.keyPrefix + key));
  }

  /**
   * `SET NX PX`. Redis at `maxmemory` under `noeviction` refuses the write (`OOM`): that is a
   * full claim budget, rejected as {@link CaptchaClaimRefusedError} so it is refused under any
   * store failure policy (see the README on `maxmemory-policy`).
   */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    const ttl = toTtl(ttlMs, 'ttlMs');
    const fullKey = this.keyPrefix + key;
    const value = this.claimOwner + (++this.claimSequence).toString(36);
    let reply;
    try {
      reply = await this.run(
        'claim',
        (client) => client.set(fullKey, value, 'PX', ttl, 'NX'),
        DELETE_IF_VALUE_SCRIPT,
        fullKey,
        value,
      );
    } catch (error) {
      if (/\bOOM\b/.test((error as Error).message)) {
        throw new CaptchaClaimRefusedError('redis store refused the claim: Redis is at maxmemory');
      }
      throw error;
    }
    return reply === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.run('release', (client) => client.del(this.keyPrefix + key));
  }

  /**
   * Closes the connection the store created from `url` (politely with `QUIT` when Redis answers,
   * bounded, then dropped). A passed `client` is left open. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOwnClient();
    return this.closing;
  }

  /** Nest lifecycle hook: {@link close}. */
  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  private async closeOwnClient(): Promise<void> {
    if (this.ownClient !== undefined) await closeClient(this.ownClient, QUIT_TIMEOUT_MS);
  }

  /**
   * Sends one command and settles within `commandTimeoutMs`, whatever the client does. If the
   * deadline passes before the command was sent (our own client still connecting), it is never
   * sent: a caller told "failed" must not find its claim written later. If it was sent and timed
   * out, its undo (`undoScript` on `undoKey`, with `undoValue`) follows it (see the class);
   * given as values, not a closure, so the common path allocates nothing more. Once `close()` has
   * been called, a store that owns its client refuses every operation.
   */
  private run<T>(
    operation: string,
    command: (client: CaptchaRedisClient) => Promise<T>,
    undoScript?: string,
    undoKey?: string,
    undoValue?: string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let sent = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        finish();
      };
      const timer = setTimeout(() => {
        settle(() => {
          if (sent && undoScript !== undefined) {
            undoLateWrite(this.client, undoScript, undoKey!, undoValue);
          }
          reject(
            new CaptchaStoreError(
              `redis store unavailable: ${operation} timed out after ${this.commandTimeoutMs} ms`,
              'ETIMEDOUT',
            ),
          );
        });
      }, this.commandTimeoutMs);

      const send = (): void => {
        if (settled) return;
        if (this.closing !== undefined && this.ownClient !== undefined) {
          settle(() =>
            reject(new CaptchaStoreError('redis store unavailable: the store is closed')),
          );
          return;
        }
        let pending: Promise<T>;
        try {
          pending = command(this.client);
        } catch (error) {
          settle(() => reject(this.toStoreError(error)));
          return;
        }
        sent = true;
        pending.then(
          (value) => settle(() => resolve(value)),
          (error: unknown) =>
            settle(() => {
              if (undoScript !== undefined && mayRunLate(error)) {
                undoLateWrite(this.client, undoScript, undoKey!, undoValue);
              }
              reject(this.toStoreError(error));
            }),
        );
      };

      this.afterHandshake(send);
    });
  }

  /**
   * Runs `send` now, or, while our own client is in the middle of connecting (start-up, or a
   * reconnection under way), once that attempt ends, so the first requests after start-up do not
   * fail for nothing. While Redis is down the client is `reconnecting` between attempts, and
   * commands are sent (and refused) at once. All waiting operations share one set of listeners.
   */
  private afterHandshake(send: () => void): void {
    const own = this.ownClient;
    if (own === undefined || !['wait', 'connecting', 'connect'].includes(own.status)) {
      send();
      return;
    }
    this.handshake ??= new Promise<void>((resolve) => {
      const done = (): void => {
        for (const event of HANDSHAKE_END_EVENTS) own.off(event, done);
        this.handshake = undefined;
        resolve();
      };
      for (const event of HANDSHAKE_END_EVENTS) own.on(event, done);
    });
    void this.handshake.then(send);
  }

  private toStoreError(error: unknown): CaptchaStoreError {
    if (error instanceof CaptchaStoreError) return error;
    const code =
      typeof (error as { code?: unknown })?.code === 'string'
        ? (error as { code: string }).code
        : undefined;
    let message = error instanceof Error ? error.message : String(error);
    if (message.includes('enableOfflineQueue')) {
      const reason = this.lastConnectionError ? ` (${this.lastConnectionError.message})` : '';
      message = `not connected${reason}`;
    }
    return new CaptchaStoreError(`redis store unavailable: ${redact(message)}`, code);
  }
}
