import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import {
  argumentToken,
  captchaInputOf,
  captchaRequestOf,
  captchaStateCarrierOf,
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

describe('captchaInputOf / captchaStateCarrierOf', () => {
  const req = { headers: {} };
  const typed = (type: string, args: unknown[]) => {
    const host = new ExecutionContextHost(args);
    host.setType(type);
    return host;
  };

  it('reads a resolver’s arguments, a gateway’s and a message handler’s data; nothing for controllers', () => {
    const input = { email: 'a@example.com' };
    expect(captchaInputOf(typed('graphql', [undefined, input, { req }, {}]))).toBe(input);
    expect(captchaInputOf(typed('ws', [{}, input, 'comment']))).toBe(input);
    expect(captchaInputOf(typed('rpc', [input, {}]))).toBe(input);
    expect(captchaInputOf(new ExecutionContextHost([req, {}, () => undefined]))).toBeUndefined();
  });

  it('keeps state per field call in GraphQL (the resolve info), not on the shared request', () => {
    const first = {};
    const second = {};
    expect(captchaStateCarrierOf(typed('graphql', [undefined, {}, { req }, first]))).toBe(first);
    expect(captchaStateCarrierOf(typed('graphql', [undefined, {}, { req }, second]))).toBe(second);
    expect(captchaStateCarrierOf(new ExecutionContextHost([req, {}, () => undefined]))).toBe(req);
  });

  it('keeps state per message: its data, its transport context, else the argument list', () => {
    const data = { text: 'hi' };
    const rpcContext = {};
    expect(captchaStateCarrierOf(typed('ws', [{}, data, 'comment']))).toBe(data);
    const primitive = typed('ws', [{}, 'text', 'comment']);
    expect(captchaStateCarrierOf(primitive)).toBe(primitive.getArgs());
    expect(captchaStateCarrierOf(typed('rpc', [data, rpcContext]))).toBe(rpcContext);
  });
});
