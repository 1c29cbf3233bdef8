import { Body, Controller, ForbiddenException, HttpCode, Ip, Module, Post } from '@nestjs/common';
import { Agent } from 'node:http';
import { Agent as UndiciAgent } from 'undici';
import { RECAPTCHA_TEST_SECRET } from '../support/recaptcha-keys';
import { dispatchFormPost, httpFormPost } from '../support/raw-posts';
import { benchConfig, serveApp } from './serve-app';

/** What the runner configures in this app. */
export interface FloorAppConfig {
  verifyUrl: string;
  /**
   * `http` (default): Node's `http.request`, the reference transport. `undici`: the
   * transport the library uses (`dispatch`), so `ours − floor` is the library's own work and
   * nothing else.
   */
  transport?: 'http' | 'undici';
}

const config = benchConfig<FloorAppConfig>();
const verifyUrl = new URL(config.verifyUrl);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const undici = new UndiciAgent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });

/**
 * The cheapest correct siteverify call Node can make: one call on a shared keep-alive pool, form
 * body, JSON reply. No guard, no store, no retry, no metrics: the floor that any verifying
 * checkpoint's CPU cost is compared with. `undici` calls `dispatch` with a handler object, as the
 * library does.
 */
async function siteverify(token: string, remoteIp: string): Promise<boolean> {
  const body = new URLSearchParams({
    secret: RECAPTCHA_TEST_SECRET,
    response: token,
    remoteip: remoteIp,
  }).toString();
  const text =
    config.transport === 'undici'
      ? await dispatchFormPost(undici, verifyUrl, body)
      : await httpFormPost(agent, verifyUrl, body);
  return (JSON.parse(text) as { success?: unknown }).success === true;
}

@Controller()
class FloorController {
  @Post('verify')
  @HttpCode(200)
  async verify(@Body('g-recaptcha-response') token: unknown, @Ip() ip: string) {
    if (typeof token !== 'string' || !(await siteverify(token, ip))) {
      throw new ForbiddenException('captcha');
    }
    return { ok: true };
  }
}

@Module({ controllers: [FloorController] })
class FloorAppModule {}

serveApp(FloorAppModule, {});
