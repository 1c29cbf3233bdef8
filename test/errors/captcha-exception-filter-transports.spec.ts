import { HttpAdapterHost } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ExpressAdapter } from '@nestjs/platform-express';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import {
  CaptchaExceptionFilter,
  CaptchaInvalidException,
  CaptchaUnavailableError,
} from 'nestjs-captcha';

/**
 * A filter registered globally (`app.useGlobalFilters`) also catches for WebSocket gateways and
 * microservice handlers: it must answer there without the HTTP adapter (which threw a TypeError
 * on a socket, an unhandled rejection in Nest's WebSocket proxy).
 */
describe('CaptchaExceptionFilter off HTTP', () => {
  const adapterHost = new HttpAdapterHost();
  adapterHost.httpAdapter = new ExpressAdapter();
  const filter = new CaptchaExceptionFilter(adapterHost);
  const outage = () => {
    const error = new CaptchaUnavailableError('turnstile', 'timeout', 'turnstile timed out');
    error.retryAfterSeconds = 7;
    return error;
  };

  it("emits Nest's `exception` event to a gateway's client, with the contract body", () => {
    const emitted: [string, unknown][] = [];
    const client = { emit: (event: string, data: unknown) => emitted.push([event, data]) };
    const host = new ExecutionContextHost([client, { text: 'hi' }, 'comment']);
    host.setType('ws');
    expect(() => filter.catch(outage(), host)).not.toThrow();
    expect(emitted).toEqual([
      [
        'exception',
        {
          status: 'error',
          statusCode: 503,
          error: 'captcha_unavailable',
          message: expect.any(String),
          details: { provider: 'turnstile', fallback: null },
        },
      ],
    ]);
  });

  it('does not throw for a client without emit', () => {
    const host = new ExecutionContextHost([{}, {}, 'comment']);
    host.setType('ws');
    expect(() => filter.catch(outage(), host)).not.toThrow();
  });

  it('hands a message handler the answer as a failed observable', async () => {
    const host = new ExecutionContextHost([{ token: 'x' }, {}]);
    host.setType('rpc');
    const answer = filter.catch(
      new CaptchaInvalidException({
        reason: 'duplicate',
        provider: 'turnstile',
        site_key: null,
        action: 'comment',
      }),
      host,
    );
    expect(isObservable(answer)).toBe(true);
    await expect(lastValueFrom(answer as Observable<never>)).rejects.toMatchObject({
      status: 'error',
      statusCode: 403,
      error: 'captcha_invalid',
      details: { reason: 'duplicate' },
    });
  });
});
