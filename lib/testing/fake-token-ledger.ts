import type { FakeIssuedToken, IssueTokenOptions } from './fake-provider';

/**
 * The tokens one fake provider minted, keyed by token string. Tracks issue time and redemption so
 * the provider can answer "expired" and "duplicate" the way the real one does.
 *
 * @internal
 */
export class FakeTokenLedger {
  private readonly tokens = new Map<string, FakeIssuedToken>();

  /**
   * Remembers `token` as issued at `nowMs` with the echo data of `options`.
   *
   * @throws RangeError when `ttlSeconds` or `score` is not a finite number (`ttlSeconds` must be >= 0).
   */
  remember(
    token: string,
    options: IssueTokenOptions,
    nowMs: number,
    defaultTtlSeconds: number,
  ): void {
    const ttlSeconds = options.ttlSeconds ?? defaultTtlSeconds;
    if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) {
      throw new RangeError(`ttlSeconds must be a finite number >= 0, got ${ttlSeconds}`);
    }
    if (options.score !== undefined && !Number.isFinite(options.score)) {
      throw new RangeError(`score must be a finite number, got ${options.score}`);
    }
    this.tokens.set(token, {
      issuedAtMs: nowMs,
      ttlSeconds,
      hostname: options.hostname ?? 'localhost',
      action: options.action ?? '',
      cdata: options.cdata ?? '',
      score: options.score,
      scoreReason: [...(options.scoreReason ?? [])],
      siteKey: options.siteKey,
      redeemed: false,
    });
  }

  /** The minted token's record, or `undefined` for a token this provider never issued. */
  find(token: string): FakeIssuedToken | undefined {
    return this.tokens.get(token);
  }

  /** Whether the token is older than its lifetime at `nowMs` (a token is still good at exactly its ttl). */
  isExpired(record: FakeIssuedToken, nowMs: number): boolean {
    return nowMs - record.issuedAtMs > record.ttlSeconds * 1000;
  }

  /** Forgets every token. */
  clear(): void {
    this.tokens.clear();
  }
}
