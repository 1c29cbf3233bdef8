import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { CaptchaGuard, CaptchaModule, failedAttempts, RequireCaptcha } from 'nestjs-captcha';
import { recaptchaTestOptions } from '../support/recaptcha-keys';

/**
 * `node dist/bench/diag/guard-micro.js`: the guard's own time on a calm `failedAttempts` route,
 * in-process (no HTTP, no load generator): `canActivate` called back to back. A diagnostic for
 * profiling (`node --cpu-prof …`), not a target of the issue.
 */
@Controller()
class MicroController {
  @Post('guarded')
  @RequireCaptcha({
    action: 'login',
    when: failedAttempts({ threshold: 3, window: '15m', per: 'ip' }),
  })
  guarded() {
    return { ok: true };
  }
}

@Module({
  imports: [
    // Never called: the route stays calm.
    CaptchaModule.forRoot(recaptchaTestOptions('http://127.0.0.1:9/siteverify')),
  ],
  controllers: [MicroController],
})
class MicroModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(MicroModule, { logger: ['error'] });
  const guard = app.get(CaptchaGuard);
  const request = {
    headers: { 'content-type': 'application/json', host: '127.0.0.1' },
    body: { username: 'ada', password: 'x' },
    socket: { remoteAddress: '127.0.0.1' },
  };
  const handler = MicroController.prototype.guarded;
  const iterations = Number(process.env.ITERATIONS ?? 200_000);
  for (let round = 0; round < 5; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      // A response that finishes right away: the guard's status listener runs too.
      const response = Object.assign(new EventEmitter(), { statusCode: 200 });
      const context = new ExecutionContextHost(
        [{ ...request }, response, () => undefined],
        MicroController,
        handler,
      );
      context.setType('http');
      if ((await guard.canActivate(context)) !== true) throw new Error('challenged');
      response.emit('finish');
    }
    const used = process.cpuUsage(started);
    console.log(
      `round ${round}: ${((used.user + used.system) / iterations).toFixed(2)} µs per canActivate`,
    );
  }
  await app.close();
}

void main();
