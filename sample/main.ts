import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
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
  if (process.env.npm_lifecycle_event?.startsWith('sample')) stopWhenOrphaned(app);
  new Logger('Sample').log(
    `nestjs-captcha sample listening on http://localhost:${bound} (pid ${process.pid}; ` +
      `stop with Ctrl-C or kill ${process.pid})`,
  );
}

/**
 * `npm run sample` starts this process under npm and a shell, which do not pass a signal sent to
 * npm's own PID on to node (the shell dies, node would keep the port): when the process that
 * started it is gone, the sample closes and exits as it does on SIGTERM.
 */
function stopWhenOrphaned(app: INestApplication): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    void app.close().finally(() => process.exit(0));
  }, 500);
  timer.unref();
}

void bootstrap();
