import type { INestApplication, NestApplicationOptions, Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { CaptchaModule, type CaptchaModuleOptions } from 'nestjs-captcha';

/** The HTTP platforms every e2e suite runs on: `describe.each(ADAPTERS)('%s', (adapter) => …)`. */
export const ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof ADAPTERS)[number];

/** A fresh Nest HTTP adapter for `createNestApplication(adapter, options)`. */
export function createHttpAdapter(adapter: HttpAdapterName): ExpressAdapter | FastifyAdapter {
  return adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
}

export interface StartAppOptions extends NestApplicationOptions {
  /** Listen on an ephemeral port of 127.0.0.1 (default), or only `init()` (supertest listens). */
  listen?: boolean;
}

/**
 * Creates the app of a compiled testing module on the given platform (Nest's logger off unless
 * `logger` is given) and starts it. On Fastify it also waits for `ready()`, so supertest's
 * requests reach the routes.
 */
export async function startApp(
  moduleRef: TestingModule,
  adapter: HttpAdapterName = 'express',
  { listen = true, ...options }: StartAppOptions = {},
): Promise<INestApplication> {
  const app = moduleRef.createNestApplication(createHttpAdapter(adapter), {
    logger: false,
    ...options,
  });
  if (listen) await app.listen(0, '127.0.0.1');
  else await app.init();
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** Boots a real Nest HTTP app (listening on 127.0.0.1) with the captcha module. */
export async function createCaptchaApp(
  options: CaptchaModuleOptions,
  controllers: Type[],
  adapter: HttpAdapterName = 'express',
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CaptchaModule.forRoot(options)],
    controllers,
  }).compile();
  return startApp(moduleRef, adapter);
}
