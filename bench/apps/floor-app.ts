import { Body, Controller, ForbiddenException, HttpCode, Ip, Module, Post } from '@nestjs/common';
import { Agent, request } from 'node:http';
import { Agent as UndiciAgent } from 'undici';
import { RECAPTCHA_TEST_SECRET } from '../support/recaptcha-keys';
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
 * The cheapest correct siteverify call Node can make: one `http.request` on a shared keep-alive
 * agent, form body, JSON reply. No guard, no store, no retry, no metrics: the floor that any
 * verifying checkpoint's CPU cost is compared with.
 */
function siteverify(token: string, remoteIp: string): Promise<boolean> {
  return config.transport === 'undici'
    ? siteverifyUndici(token, remoteIp)
    : siteverifyHttp(token, remoteIp);
}

/**
 * The same call on undici's `dispatch` with a handler object, as the library makes it (no retry,
 * no timer, no size limit).
 */
function siteverifyUndici(token: string, remoteIp: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    undici.dispatch(
      {
        origin: verifyUrl.origin,
        path: verifyUrl.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          secret: RECAPTCHA_TEST_SECRET,
          response: token,
          remoteip: remoteIp,
        }).toString(),
      },
      {
        onConnect: () => undefined,
        onHeaders: () => true,
        onData: (chunk) => chunks.push(chunk) > 0,
        onComplete: () => {
          try {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve((JSON.parse(text) as { success?: unknown }).success === true);
          } catch (error) {
            reject(error);
          }
        },
        onError: reject,
      },
    );
  });
}

function siteverifyHttp(token: string, remoteIp: string): Promise<boolean> {
  const body = new URLSearchParams({
    secret: RECAPTCHA_TEST_SECRET,
    response: token,
    remoteip: remoteIp,
  }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: verifyUrl.hostname,
        port: verifyUrl.port,
        path: verifyUrl.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve((JSON.parse(text) as { success?: unknown }).success === true);
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
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
