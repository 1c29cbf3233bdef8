import 'reflect-metadata';
import type { INestApplication, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { failStart, serveCalls } from '../support/ipc';

/**
 * Production-like log levels for every app under test (no debug or verbose lines); the output
 * goes to `bench/logs/<app>.log`, never to the runner.
 */
const LOG_LEVELS: LogLevel[] = ['log', 'warn', 'error', 'fatal'];

/** The `BENCH_CONFIG` the runner passed, parsed. */
export function benchConfig<T>(): T {
  return JSON.parse(process.env.BENCH_CONFIG ?? '{}') as T;
}

/**
 * Boots one Nest app (Express) on a free 127.0.0.1 port and serves the runner's IPC calls
 * (`cpu`, `stop`, and `extra`), reporting the port once listening.
 */
export function serveApp(
  module: Type,
  extra: Record<string, (args: unknown) => unknown> = {},
): void {
  void (async () => {
    let app: INestApplication | undefined;
    try {
      app = await NestFactory.create(module, { logger: LOG_LEVELS });
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      const running = app;
      serveCalls({ port }, extra, () => running.close());
    } catch (error) {
      await app?.close().catch(() => undefined);
      failStart(error);
    }
  })();
}
