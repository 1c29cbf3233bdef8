import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CaptchaModuleOptions } from './config/captcha-module-options.interface';

/**
 * Extra `forRoot` options that shape the module itself rather than the checkpoint.
 *
 * @public
 */
export interface CaptchaModuleExtras {
  /** Register the module globally so every feature module can use the guard. Default `true`. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableCaptchaModule,
  MODULE_OPTIONS_TOKEN: CAPTCHA_MODULE_OPTIONS,
  OPTIONS_TYPE: CAPTCHA_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CAPTCHA_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CaptchaModuleOptions>({ moduleName: 'Captcha' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCaptchaOptions')
  .setExtras<CaptchaModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/**
 * Injection token of the validated options, with defaults filled in.
 *
 * @public
 */
export const CAPTCHA_OPTIONS = Symbol('CAPTCHA_OPTIONS');

/**
 * Injection token of the active provider instance.
 *
 * @public
 */
export const CAPTCHA_PROVIDER = Symbol('CAPTCHA_PROVIDER');

/**
 * A class `forRootAsync({ useClass })` can instantiate to build the options.
 *
 * @public
 */
export interface CaptchaOptionsFactory {
  createCaptchaOptions(): CaptchaModuleOptions | Promise<CaptchaModuleOptions>;
}
