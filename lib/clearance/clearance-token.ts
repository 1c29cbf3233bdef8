import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The longest clearance value read at all: anything longer is refused (`forged`) before any
 * decoding, HMAC or JSON work. An issued value stays far below it (32 actions of 64 characters).
 * @internal
 */
export const MAX_CLEARANCE_LENGTH = 4096;

/** Version of the payload's shape. */
const VERSION = 1;

/** base64url of 32 bytes (HMAC-SHA256), unpadded. */
const SIGNATURE_LENGTH = 43;

/** `<payload>.<signature>`, base64url both, the signature exactly one HMAC-SHA256 long. */
const SHAPE = new RegExp(
  `^[A-Za-z0-9_-]{16,${MAX_CLEARANCE_LENGTH}}\\.[A-Za-z0-9_-]{${SIGNATURE_LENGTH}}$`,
);

/** What a clearance says, once its signature is checked. @internal */
export interface ClearanceClaims {
  /** Random id (16 bytes, base64url): its uses and its revocation are counted under it. */
  id: string;
  /** The actions it covers. */
  scope: readonly string[];
  /** Expiry, in seconds since the epoch. */
  expiresAt: number;
  /** How many requests it may let through. */
  uses: number;
  /** HMAC-derived hash of the client's network (never the address). */
  network: string;
  /** HMAC-derived hash of the client's User-Agent (never the header). */
  userAgent: string;
}

/** The compact JSON payload: short keys, every field required. */
interface ClearancePayload {
  v: number;
  i: string;
  s: string[];
  e: number;
  u: number;
  n: string;
  a: string;
}

const ID = /^[A-Za-z0-9_-]{22}$/;
const BINDING = /^[A-Za-z0-9_-]{22}$/;

/**
 * Signs and opens clearance values: base64url(JSON payload) + `.` + base64url(HMAC-SHA256 of
 * the payload part). Stateless: everything needed to judge one is in it, except its uses and
 * revocation (the store). The client binding is an HMAC of the network and of the User-Agent
 * under the same key, cut to 16 bytes, so the value reveals neither.
 *
 * @internal
 */
export class ClearanceTokens {
  constructor(private readonly key: string) {}

  /** A new random id. */
  static newId(): string {
    return randomBytes(16).toString('base64url');
  }

  /** The binding hash of one client attribute (`net` or `ua`). */
  bind(kind: 'net' | 'ua', value: string): string {
    return createHmac('sha256', this.key)
      .update(`clearance-${kind}\u0000${value}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }

  /** The signed value of `claims`. */
  sign(claims: ClearanceClaims): string {
    const payload: ClearancePayload = {
      v: VERSION,
      i: claims.id,
      s: [...claims.scope],
      e: claims.expiresAt,
      u: claims.uses,
      n: claims.network,
      a: claims.userAgent,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.signature(body)}`;
  }

  /**
   * The claims of a value this key signed, or `undefined` for anything else: not a string, too
   * long, not the shape, a wrong signature, or a payload that is not exactly the expected JSON.
   * Cheap checks first; nothing here throws.
   */
  open(value: unknown): ClearanceClaims | undefined {
    if (typeof value !== 'string' || value.length > MAX_CLEARANCE_LENGTH || !SHAPE.test(value)) {
      return undefined;
    }
    const dot = value.indexOf('.');
    const body = value.slice(0, dot);
    // Compared as text: one signature has one spelling (no second encoding of the same bytes).
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.signature(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    return claimsOf(payload);
  }

  private signature(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** The claims of a payload of exactly the expected shape, else `undefined`. */
function claimsOf(payload: unknown): ClearanceClaims | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const p = payload as Partial<Record<keyof ClearancePayload, unknown>>;
  if (p.v !== VERSION || Object.keys(p).length !== 7) return undefined;
  if (typeof p.i !== 'string' || !ID.test(p.i)) return undefined;
  if (typeof p.n !== 'string' || !BINDING.test(p.n)) return undefined;
  if (typeof p.a !== 'string' || !BINDING.test(p.a)) return undefined;
  if (!isWhole(p.e, 0, Number.MAX_SAFE_INTEGER) || !isWhole(p.u, 1, 1_000_000)) return undefined;
  const scope = p.s;
  if (!Array.isArray(scope) || scope.length === 0 || scope.length > 64) return undefined;
  if (!scope.every((action) => typeof action === 'string' && action.length > 0)) return undefined;
  return {
    id: p.i,
    scope: scope as string[],
    expiresAt: p.e,
    uses: p.u,
    network: p.n,
    userAgent: p.a,
  };
}
