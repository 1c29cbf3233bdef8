import { Reflector } from '@nestjs/core';

/**
 * Exempts a handler (or controller) from the checkpoint, e.g. a machine-to-machine endpoint in a
 * controller protected at class level.
 *
 * @example
 * ```ts
 * @Post('token')
 * @SkipCaptcha()
 * token() {}
 * ```
 *
 * @public
 */
export const SkipCaptcha = Reflector.createDecorator<void, true>({
  key: 'nestjs-captcha:skip',
  transform: () => true,
});
