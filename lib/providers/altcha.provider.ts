import { createHmac } from 'node:crypto';
import type { Payload } from 'altcha-lib';
import { createChallenge, randomInt, verifySolution } from 'altcha-lib';
import { deriveKey as derivePbkdf2 } from 'altcha-lib/algorithms/pbkdf2';
import { deriveKey as deriveSha } from 'altcha-lib/algorithms/sha';
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

  constructor(
    private readonly options: ResolvedCaptchaOptions,
    private readonly store: CaptchaStore,
  ) {
    this.tokenLifetimeSeconds = options.altcha.expiresInSeconds;
  }

  /**
   * Signs a fresh challenge for the widget (`GET /captcha/challenge?action=…`), for `action`
   * (matching {@link ALTCHA_ACTION}), or for routes and calls that expect no action.
   *
   * @throws TypeError when `action` is not an action name.
   */
  async createChallenge(action?: string): Promise<AltchaChallenge> {
    if (action !== undefined && !ALTCHA_ACTION.test(action)) {
      throw new TypeError(
        'createChallenge: action must be 1 to 100 printable ASCII characters without spaces',
      );
    }
    const { algorithm, cost, counter, expiresInSeconds } = this.options.altcha;
    const secrets = await this.secrets();
    return createChallenge({
      algorithm,
      cost,
      counter: randomInt(counter[0], counter[1]),
      deriveKey: this.deriveKey(algorithm),
      expiresAt: Math.floor(Date.now() / 1000) + expiresInSeconds,
      hmacSignatureSecret: secrets.signature,
      hmacKeySignatureSecret: secrets.keySignature,
      ...(action !== undefined && { data: { action } }),
    });
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
