import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import {
  argumentToken,
  captchaRequestOf,
  graphqlArgsOf,
  statedTokenProvider,
} from 'nestjs-captcha';

/** A resolver's execution context as `@nestjs/graphql` builds it: [root, args, context, info]. */
const graphql = (args: unknown, gqlContext: unknown) => {
  const host = new ExecutionContextHost([undefined, args, gqlContext, {}]);
  host.setType('graphql');
  return host;
};

describe('captchaRequestOf / graphqlArgsOf', () => {
  const req = { headers: {} };

  it('returns the HTTP request of a controller and no arguments', () => {
    const http = new ExecutionContextHost([req, {}, () => undefined]);
    expect(captchaRequestOf(http)).toBe(req);
    expect(graphqlArgsOf(http)).toBeUndefined();
  });

  it('finds the request in the GraphQL context of Apollo, Mercurius and custom contexts', () => {
    expect(captchaRequestOf(graphql({}, { req }))).toBe(req);
    expect(captchaRequestOf(graphql({}, { request: req }))).toBe(req);
    expect(captchaRequestOf(graphql({}, { reply: { request: req } }))).toBe(req);
    // No request (a subscription over WebSockets): the context itself keys the state.
    const bare = { connectionParams: {} };
    expect(captchaRequestOf(graphql({}, bare))).toBe(bare);
  });

  it('returns the resolver arguments', () => {
    const args = { captchaToken: 't' };
    expect(graphqlArgsOf(graphql(args, { req }))).toBe(args);
  });
});

describe('argumentToken', () => {
  it('reads captcha.token, then captchaToken; null counts as absent', () => {
    expect(argumentToken({ captcha: { token: 'a' }, captchaToken: 'b' })).toBe('a');
    expect(argumentToken({ captcha: null, captchaToken: 'b' })).toBe('b');
    expect(argumentToken({ captchaToken: null })).toBeUndefined();
    expect(argumentToken({ captchaToken: 42 })).toBe(42);
    expect(argumentToken(undefined)).toBeUndefined();
  });

  it('takes the stated provider from the arguments before the request', () => {
    const request = { headers: { 'x-captcha-provider': 'hcaptcha' } };
    expect(statedTokenProvider(request, { captcha: { token: 't', provider: 'altcha' } })).toBe(
      'altcha',
    );
    expect(statedTokenProvider(request, { captcha: { token: 't', provider: null } })).toBe(
      'hcaptcha',
    );
    expect(statedTokenProvider(request)).toBe('hcaptcha');
  });
});
