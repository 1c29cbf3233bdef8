import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { CaptchaGuard, CaptchaModule, RequireCaptcha } from 'nestjs-captcha';
import { recaptchaTestOptions } from '../support/recaptcha-keys';

type ProviderHttpClientModule = typeof import('../../dist/lib/providers/provider-http-client');

/**
 * `node dist/bench/diag/verify-micro.js`: the guard's own time on an always-verified route,
 * in-process, with the provider's HTTP answer stubbed (an immediate success): everything a
 * verified request costs us except the transport. `REPLAY=1`: the same token every time, so
 * every request after the first is refused as a duplicate (scenario 3's path, without Express).
 * A diagnostic for profiling, not a target.
 */
@Controller()
class MicroController {
  @Post('verify')
  @RequireCaptcha({ action: 'login' })
  verify() {
    return { ok: true };
  }
}

@Module({
  imports: [CaptchaModule.forRoot(recaptchaTestOptions('http://127.0.0.1:9/siteverify'))],
  controllers: [MicroController],
})
class MicroModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(MicroModule, { logger: ['error'] });
  // Internal, not exported: loaded by path to stub the transport for this probe only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ProviderHttpClient } = require(
    join(__dirname, '../../lib/providers/provider-http-client'),
  ) as ProviderHttpClientModule;
  const reply = { success: true, challenge_ts: new Date().toISOString(), hostname: 'localhost' };
  ProviderHttpClient.prototype.post = async () => ({ status: 200, json: reply, latencyMs: 0 });
  const guard = app.get(CaptchaGuard);
  const handler = MicroController.prototype.verify;
  // 5 rounds of fresh tokens must fit the memory store's claim budget (maxClaims, 100 000).
  const iterations = Number(process.env.ITERATIONS ?? 19_000);
  const replay = process.env.REPLAY === '1';
  const tokenOf = (round: number, i: number) =>
    replay ? `03A${'x'.repeat(400)}` : `03A${'x'.repeat(400)}${round}-${i}`;
  for (let round = 0; round < 5; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      const request = {
        headers: { 'content-type': 'application/json' },
        body: { 'g-recaptcha-response': tokenOf(round, i) },
        socket: { remoteAddress: '127.0.0.1' },
      };
      const response = Object.assign(new EventEmitter(), { statusCode: 200 });
      const context = new ExecutionContextHost(
        [request, response, () => undefined],
        MicroController,
        handler,
      );
      context.setType('http');
      const verified = await Promise.resolve(guard.canActivate(context)).catch(() => false);
      if (verified !== !replay && (round > 0 || i > 0)) throw new Error(`unexpected ${verified}`);
    }
    const used = process.cpuUsage(started);
    console.log(
      `round ${round}: ${((used.user + used.system) / iterations).toFixed(2)} µs per ${replay ? 'refused' : 'verified'} canActivate`,
    );
  }
  await app.close();
}

void main();
