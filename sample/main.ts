import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // Ctrl-C (SIGINT) or `kill <pid>` (SIGTERM): close the app (stores, metrics, open
  // connections), then end the process by that signal.
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, process.env.HOST ?? '127.0.0.1');
  // The port actually bound (PORT=0 picks a free one) and the PID to stop the server with.
  const { port: bound } = app.getHttpServer().address() as AddressInfo;
  new Logger('Sample').log(
    `nestjs-captcha sample listening on http://localhost:${bound} (pid ${process.pid}; ` +
      `stop with Ctrl-C or kill ${process.pid})`,
  );
}

void bootstrap();
