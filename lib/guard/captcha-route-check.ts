import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { CaptchaRequirement } from '../decorators/require-captcha.decorator';
import { CaptchaProviders } from '../providers/captcha-providers';

/**
 * Checks at start-up that every `@RequireCaptcha({ provider })` names a registered provider, so
 * a wiring mistake stops the app instead of failing requests later.
 */
@Injectable()
export class CaptchaRouteCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly providers: CaptchaProviders,
  ) {}

  onApplicationBootstrap(): void {
    const problems: string[] = [];
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      const classLevel = this.reflector.get(CaptchaRequirement, metatype as object as () => void);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, () => void>)[method];
        const requirement = this.reflector.get(CaptchaRequirement, handler) ?? classLevel;
        const wanted = requirement?.provider;
        if (wanted === undefined) continue;
        const problem = this.providers.problemWith(wanted);
        if (problem) {
          problems.push(`${metatype.name}.${method}: ${problem}`);
        }
      }
    }
    if (problems.length > 0) {
      throw new Error(
        `CAPTCHA routes name providers that are not registered (registered: ${this.providers.names.join(', ')}):\n${problems.join('\n')}`,
      );
    }
  }
}
