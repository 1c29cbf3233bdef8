import type { CaptchaContext } from '../conditions/captcha-condition';
import type { CaptchaVerification } from '../verification/captcha-verification.interface';

/** Where the checkpoint's state sits on a request: symbol keys, so no other code sees or clashes with them. */
const CONTEXT = Symbol('nestjs-captcha:context');
const RESULT = Symbol('nestjs-captcha:result');

type Carrier = { [CONTEXT]?: CaptchaContext; [RESULT]?: CaptchaVerification };

/**
 * What the checkpoint learned about a request: the context its conditions saw (reused by the
 * outcome interceptor) and the verification result (read by `@CaptchaResult()`). It goes with
 * the request, in symbol-keyed properties (Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-request-state); a
 * frozen request (never seen in practice) falls back to a `WeakMap`.
 */
const frozen = new WeakMap<object, Carrier>();

function carrierOf(request: object): Carrier {
  if (Object.isExtensible(request)) return request as Carrier;
  let carrier = frozen.get(request);
  if (!carrier) frozen.set(request, (carrier = {}));
  return carrier;
}

/** Keeps the context the conditions saw, for the outcome interceptor. @internal */
export function setCaptchaContext(request: object, context: CaptchaContext): void {
  carrierOf(request)[CONTEXT] = context;
}

/** The context the conditions saw, if the checkpoint ran. @internal */
export function getCaptchaContext(request: object): CaptchaContext | undefined {
  return carrierOf(request)[CONTEXT];
}

/** Keeps the verification for `@CaptchaResult()`. @internal */
export function setCaptchaResult(request: object, result: CaptchaVerification): void {
  carrierOf(request)[RESULT] = result;
}

/** The verification, if a challenge was due and passed. @internal */
export function getCaptchaResult(request: object): CaptchaVerification | undefined {
  return carrierOf(request)[RESULT];
}

/** Marks a handler (by class and method name) whose parameters read the result. */
const READS_RESULT = Symbol('nestjs-captcha:reads-result');

/** Called by `@CaptchaResult()` on the handler it decorates. @internal */
export function markReadsCaptchaResult(type: object, method: string | symbol): void {
  Reflect.defineMetadata(READS_RESULT, true, type, method);
}

/**
 * Whether the guard must keep the result for `handler` of `type`: only `@CaptchaResult()` reads
 * it (Perf: https://github.com/nestjs-captcha/nestjs-captcha/blob/main/docs/performance.md#guard-request-state). `true` when unsure: a handler
 * whose name does not lead back to it on the class (a method wrapped by another decorator) is
 * assumed to read it.
 *
 * @internal
 */
export function readsCaptchaResult(type: object, handler: { name: string }): boolean {
  const prototype = (type as { prototype?: Record<string, unknown> }).prototype;
  if (prototype?.[handler.name] !== handler) return true;
  return Reflect.getMetadata(READS_RESULT, type, handler.name) === true;
}
