/**
 * The `outcome` label of `captcha_clearances_total`: `issued`, `used`, or why a clearance was
 * refused. `exhausted` (its uses are spent) is kept apart from `expired` (its time is up): one
 * says the uses are too few for real users or a value is being shared, the other that the
 * time-to-live is too short.
 * @public
 */
export type CaptchaClearanceOutcome =
  | 'issued'
  | 'used'
  | 'expired'
  | 'wrong_scope'
  | 'wrong_client'
  | 'revoked'
  | 'forged'
  | 'exhausted';

/** Module options' `clearance` with its defaults filled in and its key settled. @public */
export interface ResolvedCaptchaClearance {
  ttlSeconds: number;
  uses: number;
  /** The signing key: the configured one, or (outside production) a random one per process. */
  key: string;
  /** The actions one clearance covers; `undefined`: the action it was earned on. */
  actions?: readonly string[];
}
