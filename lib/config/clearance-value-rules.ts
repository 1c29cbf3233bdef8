// The values of the clearance settings, apart from the rules between them (a leaf the env
// variables' specs read too).
import { integerRule } from './captcha-config-rules';

/** `clearance.ttlSeconds` / `CAPTCHA_CLEARANCE_TTL`. @internal */
export const clearanceTtlRule = integerRule(1, 86_400, 'seconds');

/** `clearance.uses` / `CAPTCHA_CLEARANCE_USES`. @internal */
export const clearanceUsesRule = integerRule(1, 1000, 'requests per clearance');

/** Default of `clearance.uses`. @internal */
export const DEFAULT_CLEARANCE_USES = 5;

/** Most actions one clearance may cover (keeps the signed value small). @internal */
export const MAX_ACTIONS = 32;
/** Longest action name in `clearance.actions`. @internal */
export const MAX_ACTION_LENGTH = 64;
/** Characters of an action name in `clearance.actions`. @internal */
export const ACTION = /^[A-Za-z0-9_.:/-]+$/;

/** What `clearance.actions` / `CAPTCHA_CLEARANCE_ACTIONS` accepts. @internal */
export const CLEARANCE_ACTIONS_ACCEPTED = `1 to ${MAX_ACTIONS} route actions (letters, digits, _ . : / -, up to ${MAX_ACTION_LENGTH} characters each), e.g. login,signup`;
