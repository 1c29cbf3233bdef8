import { Logger } from '@nestjs/common';
import { failureCounterKey } from '../conditions/failed-attempts.condition';
import type { ResolvedAltchaAdaptive } from '../config/resolved-captcha-options';
import { ipv6Network } from '../http/ip-address-parsing';
import { CaptchaStoreError } from '../stores/captcha-store.error';
import type { CaptchaStore } from '../stores/captcha-store.interface';
import { subjectStoreKey } from '../stores/subject-store-key';

const logger = new Logger('CaptchaAltchaDifficulty');

/**
 * Adaptive ALTCHA proof of work (`altcha.adaptive`): a client's risk, its failure count for the
 * action (the counter `failedAttempts` and `CaptchaRiskService` write, per client network), plus
 * the challenges it fetched past `challenges.free` in the window when those are counted, is a
 * level; level _n_ multiplies the base `counter` range by `perFailure`^_n_, capped at `maxFactor`.
 * Level 0 is the base range exactly.
 *
 * The level is signed into the challenge's `data`; at verification a payload whose level is below
 * what the client's failures require then is refused. One failure of grace: the attempt that
 * spends the payload is counted (by `failedAttempts`) before it is verified.
 *
 * A store failure follows `storeFailureMode`: `closed` rethrows (503), `open` treats the client as
 * calm (level 0), logged.
 *
 * @internal
 */
export class AltchaDifficulty {
  /** The first level whose factor reaches the cap. */
  readonly maxLevel: number;

  constructor(
    private readonly policy: ResolvedAltchaAdaptive,
    private readonly base: readonly [number, number],
    private readonly store: CaptchaStore,
    private readonly ipv6Prefix: number,
    private readonly storeFailureMode: 'closed' | 'open',
  ) {
    this.maxLevel = Math.ceil(Math.log(policy.maxFactor) / Math.log(policy.perFailure) - 1e-9);
  }

  /** The work factor of `level`: `perFailure`^level, at most `maxFactor`. */
  factor(level: number): number {
    return Math.min(this.policy.maxFactor, this.policy.perFailure ** level);
  }

  /** The counter range of `level`: the base range times its factor. */
  range(level: number): [number, number] {
    const factor = this.factor(level);
    return [Math.round(this.base[0] * factor), Math.round(this.base[1] * factor)];
  }

  /** The level a challenge fetched now by `ip` for `action` gets (the fetch is counted). */
  async levelToIssue(ip: string | undefined, action: string | undefined): Promise<number> {
    const subject = this.subjectOf(ip);
    const [failures, fetches] = await Promise.all([
      this.failures(subject, action),
      this.fetches(subject, true),
    ]);
    return this.levelOf(failures + fetches);
  }

  /** The least level a payload spent now by `ip` for `action` must carry. */
  async levelRequired(ip: string | undefined, action: string | undefined): Promise<number> {
    const subject = this.subjectOf(ip);
    const [failures, fetches] = await Promise.all([
      this.failures(subject, action),
      this.fetches(subject, false),
    ]);
    return this.levelOf(Math.max(0, failures - 1) + fetches);
  }

  private levelOf(risk: number): number {
    return Math.min(this.maxLevel, risk);
  }

  /** The subject `failedAttempts({ per: 'ip' })` counts: the IPv4 address, or the IPv6 network. */
  private subjectOf(ip: string | undefined): string {
    return ip === undefined ? '' : ip.includes(':') ? ipv6Network(ip, this.ipv6Prefix) : ip;
  }

  private failures(subject: string, action: string | undefined): Promise<number> {
    const key = failureCounterKey(this.policy.counter ?? action ?? 'default', subject);
    return this.read(() => this.store.count(key));
  }

  /** Challenges fetched past the free ones in the window (`challenges`; 0 when not counted). */
  private async fetches(subject: string, fetching: boolean): Promise<number> {
    const challenges = this.policy.challenges;
    if (challenges === undefined) return 0;
    const key = subjectStoreKey('altcha-challenges', subject);
    const count = await this.read(() =>
      fetching ? this.store.increment(key, challenges.windowMs) : this.store.count(key),
    );
    return Math.max(0, count - challenges.free);
  }

  /** A count, under the store failure policy. */
  private async read(count: () => Promise<number>): Promise<number> {
    try {
      return await count();
    } catch (error) {
      if (!(error instanceof CaptchaStoreError) || this.storeFailureMode === 'closed') throw error;
      // Per request, so at debug: the outage log says that the store is down (error).
      logger.debug({
        event: 'captcha.store_unavailable',
        during: 'difficulty',
        policy: 'open',
        cause: error.message,
      });
      return 0;
    }
  }
}

/**
 * The level signed into a challenge's `data`, or 0 when it carries none (issued while the
 * feature was off).
 *
 * @internal
 */
export function signedLevel(data: Record<string, unknown> | undefined): number {
  const level = data?.level;
  return typeof level === 'number' && Number.isSafeInteger(level) && level >= 0 ? level : 0;
}
