import { failedAttempts, ipIn, requestRate, tenantPolicy, always, anyOf } from 'nestjs-captcha';
import { transportProblems } from '../../lib/transports/transport-problems';
import type { CaptchaHandlerKind } from '../../lib/transports/captcha-transport';

const check = (kind: CaptchaHandlerKind, when: Parameters<typeof anyOf>[0]) =>
  transportProblems({ route: 'R.m', kind, requirement: { when }, declaredOn: 'handler' });

describe('transportProblems: subjects a transport cannot read', () => {
  const graphql: CaptchaHandlerKind = { transport: 'graphql', field: false };
  const perEmail = (per: string) => failedAttempts({ threshold: 3, window: '15m', per });

  it('refuses body paths on a resolver and names the argument path instead', () => {
    const [problem] = check(graphql, perEmail('body.email'));
    expect(problem).toContain("R.m: the condition reads 'body'");
    expect(problem).toContain("per: 'args.email'");
    expect(check(graphql, perEmail('args.email'))).toEqual([]);
    expect(check(graphql, perEmail('ip+args.email'))).toEqual([]);
  });

  it('refuses per-IP counting on a message handler: every caller would share one bucket', () => {
    const rpc: CaptchaHandlerKind = { transport: 'rpc' };
    expect(check(rpc, failedAttempts({ threshold: 3, window: '15m' }))[0]).toContain("'ip'");
    expect(check(rpc, anyOf(ipIn(['10.0.0.0/8']), always()))[0]).toContain("'ip'");
    expect(check(rpc, perEmail('data.email'))).toEqual([]);
  });

  it('refuses argument and message paths on a controller', () => {
    const http: CaptchaHandlerKind = { transport: 'http' };
    expect(check(http, requestRate({ max: 5, window: '1m', per: 'args.email' }))[0]).toContain(
      "'args'",
    );
    expect(
      check(
        http,
        tenantPolicy(() => true, { tenant: 'data.tenant' }),
      )[0],
    ).toContain("'data'");
    expect(check(http, perEmail('body.email'))).toEqual([]);
  });
});
