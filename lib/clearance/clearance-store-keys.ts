import { hashStoreKey } from '../stores/hash-store-key';

/** The counter of a clearance's uses. @internal */
export function clearanceUseKey(id: string): string {
  return hashStoreKey('clearance-use', id);
}

/** The mark of a revoked clearance (a counter above 0 until the clearance expires). @internal */
export function clearanceRevokedKey(id: string): string {
  return hashStoreKey('clearance-revoked', id);
}

/** Milliseconds a clearance expiring at `expiresAt` (seconds) has left; at least 1. @internal */
export function remainingMs(expiresAt: number, now: number): number {
  return Math.max(1, expiresAt * 1000 - now);
}
