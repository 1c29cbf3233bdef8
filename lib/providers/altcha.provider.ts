import { createHmac } from 'node:crypto';
import type { Payload } from 'altcha-lib';
import { createChallenge, randomInt, verifySolution } from 'altcha-lib';
import { deriveKey as derivePbkdf2 } from 'altcha-lib/algorithms/pbkdf2';
import { deriveKey as deriveSha } from 'altcha-lib/algorithms/sha';
import { AltchaDifficulty, signedLevel } from '../altcha/altcha-difficulty';
import type { ResolvedCaptchaOptions } from '../config/resolved-captcha-options';
import type { CaptchaStore } from '../stores/captcha-store.interface';
import { hashStoreKey } from '../stores/hash-store-key';
import { claimOnce } from '../verification/claim-once';
import type {
  CaptchaProvider,
  ProviderReply,
  ProviderVerifyRequest,
} from './captcha-provider.interface';
import { resolveSecret } from './resolve-secret';

/**
 * A signed ALTCHA v2 challenge, as the `altcha` 3.x widget expects it.
 *
 * @public
 */
export interface AltchaChallenge {
  parameters: {
    algorithm: string;
    nonce: string;
    salt: string;
    cost: number;
    keyLength: number;
    keyPrefix: string;
    keySignature?: string;
    expiresAt?: number;
    /** Signed with the rest: `action` is the one action the challenge may be spent on. */
    data?: Record<string, string | number | boolean | null>;
  };
  signature?: string;
}

/**
 * An action name as challenges carry it: 1 to 100 printable ASCII characters, no spaces.
 *
 * @internal
 */
export const ALTCHA_ACTION = /^[\x21-\x7e]{1,100}$/;

/**
 * ALTCHA, self-hosted proof of work (altcha-lib 2): the server signs expiring challenges, the
 * widget solves one, and the payload is verified here, with no network. altcha-lib's verification
 * is stateless, so each solved challenge is claimed in our {@link CaptchaStore} by its nonce until
 * it expires: a payload is accepted once, however it is re-encoded.
 *
 * Each challenge is signed for one action (`GET /captcha/challenge?action=login` puts `action`
 * in its signed `data`) and expires after `altcha.expiresInSeconds` (300 by default): a payload
 * is accepted only where that same action is expected (`action_mismatch` elsewhere; a challenge
 * without action only where none is), and only before it expires. The claim is written last,
 * after the signature, the proof of work, the expiry and the action all check out, so forged or
 * misdirected payloads never take room in the store.
 *
 * @internal
 */
export class AltchaProvider implements CaptchaProvider {
  readonly name = 'altcha' as const;
  /** A v2 payload is about 700 characters of base64 JSON; leave room for `data`. */
  readonly maxTokenLength = 4096;
  readonly replayProtection = 'provider' as const;
  readonly siteKey = undefined;
  readonly tokenLifetimeSeconds: number;
  /** Adaptive proof of work (`altcha.adaptive`); `undefined` when off. */
  readonly difficulty: AltchaDifficulty | undefined;

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly store: CaptchaStore,
  ) {
    this.tokenLifetimeSeconds = options.altcha.expiresInSeconds;
    const { adaptive, counter } = options.altcha;
    this.difficulty =
      adaptive &&
      new AltchaDifficulty(adaptive, counter, store, options.ipv6Prefix, options.storeFailureMode);
  }

  /**
   * Signs a fresh challenge for the widget (`GET /captcha/challenge?action=…`), for `action`
   * (matching {@link ALTCHA_ACTION}), or for routes and calls that expect no action.
   *
   * @throws TypeError when `action` is not an action name.
   */
  async createChallenge(action?: string): Promise<AltchaChallenge> {
    return (await this.issueChallenge(action, 0)).challenge;
  }

  /**
   * {@link createChallenge} at an adaptive `level` (`altcha.adaptive`; ignored when it is off),
   * with the secret counter drawn, for the metric of issued cost.
   */
  async issueChallenge(
    action: string | undefined,
    level: number,
  ): Promise<{ challenge: AltchaChallenge; counter: number }> {
    if (action !== undefined && !ALTCHA_ACTION.test(action)) {
      throw new TypeError(
        'createChallenge: action must be 1 to 100 printable ASCII characters without spaces',
      );
    }
    const { algorithm, cost, expiresInSeconds } = this.options.altcha;
    const range = this.difficulty?.range(level) ?? this.options.altcha.counter;
    const counter = randomInt(range[0], range[1]);
    const secrets = await this.secrets();
    // The level is signed with the rest, so it cannot be lowered; off, `data` is as it always was.
    const data = this.difficulty
      ? { ...(action !== undefined && { action }), level }
      : action !== undefined
        ? { action }
        : undefined;
    const challenge = await createChallenge({
      algorithm,
      cost,
      counter,
      deriveKey: this.deriveKey(algorithm),
      expiresAt: Math.floor(Date.now() / 1000) + expiresInSeconds,
      hmacSignatureSecret: secrets.signature,
      hmacKeySignatureSecret: secrets.keySignature,
      ...(data !== undefined && { data }),
    });
    return { challenge, counter };
  }

  async verify(token: string, request: ProviderVerifyRequest = {}): Promise<ProviderReply> {
    const payload = decodePayload(token);
    if (!payload)
      return { success: false, reason: 'malformed', errorCodes: ['unreadable-payload'] };
    const { parameters } = payload.challenge;
    const secrets = await this.secrets();
    let result;
    try {
      result = await verifySolution({
        challenge: payload.challenge,
        solution: payload.solution,
        deriveKey: this.deriveKey(parameters.algorithm),
        hmacSignatureSecret: secrets.signature,
        hmacKeySignatureSecret: secrets.keySignature,
      });
    } catch {
      // altcha-lib throws on unknown algorithms and out-of-range parameters: a forged payload.
      return { success: false, reason: 'invalid', errorCodes: ['unverifiable-payload'] };
    }
    if (result.expired) return { success: false, reason: 'expired', errorCodes: ['expired'] };
    if (result.invalidSignature)
      return { success: false, reason: 'invalid', errorCodes: ['invalid-signature'] };
    if (!result.verified)
      return { success: false, reason: 'invalid', errorCodes: ['invalid-solution'] };
    // Every challenge we sign expires; one without `expiresAt` was not issued by this library.
    const { expiresAt } = parameters;
    if (typeof expiresAt !== 'number')
      return { success: false, reason: 'invalid', errorCodes: ['no-expiry'] };

    const signed = parameters.data?.action;
    const action = typeof signed === 'string' ? signed : undefined;
    if (action !== request.action) {
      // Checked before the claim, so the payload stays good for the action it was solved for.
      return {
        success: false,
        reason: 'action_mismatch',
        errorCodes: ['action-mismatch'],
        ...(action !== undefined && { action }),
      };
    }

    if (this.difficulty) {
      const required = await this.difficulty.levelRequired(request.remoteIp, action);
      // Fetched while the client was calm, spent once it is not: solve one at today's level.
      if (signedLevel(parameters.data) < required)
        return { success: false, reason: 'invalid', errorCodes: ['difficulty-too-low'] };
    }

    const firstUse = await claimOnce(
      this.store,
      hashStoreKey('claim:altcha', parameters.nonce),
      Math.max(1000, expiresAt * 1000 - Date.now()),
      this.options.storeFailureMode,
    );
    if (!firstUse) return { success: false, reason: 'duplicate', errorCodes: ['already-used'] };
    return action === undefined
      ? { success: true, errorCodes: [] }
      : { success: true, errorCodes: [], action };
  }

  private deriveKey(algorithm: string) {
    return algorithm.startsWith('PBKDF2/') ? derivePbkdf2 : deriveSha;
  }

  /** The challenge HMAC key, and a second key derived from it that signs the solution's key. */
  private async secrets(): Promise<{ signature: string; keySignature: string }> {
    const signature = await resolveSecret(this.options.altcha.hmacKey);
    const keySignature = createHmac('sha256', signature)
      .update('nestjs-captcha:altcha-key-signature')
      .digest('hex');
    return { signature, keySignature };
  }
}

/** Decodes base64(JSON) into a v2 payload, or `undefined` when it is anything else (v1 included). */
function decodePayload(token: string): Payload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { challenge, solution } = value as Partial<Payload>;
  const parameters = challenge?.parameters;
  if (
    typeof parameters !== 'object' ||
    parameters === null ||
    typeof parameters.nonce !== 'string' ||
    typeof parameters.algorithm !== 'string' ||
    typeof solution !== 'object' ||
    solution === null ||
    typeof solution.counter !== 'number' ||
    typeof solution.derivedKey !== 'string'
  ) {
    return undefined;
  }
  return value as Payload;
}
