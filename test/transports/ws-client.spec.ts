import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { ClientIpResolver } from 'nestjs-captcha';
import {
  recordUpgradeRequest,
  sendWsException,
  wsPeerAddressOf,
  wsUpgradeRequestOf,
} from '../../lib/transports/ws-client';

describe('gateway clients (ws-client)', () => {
  it("finds a socket.io client's request, and a ws client's recorded upgrade request", () => {
    const request = new IncomingMessage(new Socket());
    expect(wsUpgradeRequestOf({ request })).toBe(request);
    const socket = new Socket();
    const upgrade = new IncomingMessage(socket);
    expect(wsUpgradeRequestOf({ _socket: socket })).toBeUndefined();
    recordUpgradeRequest(upgrade);
    expect(wsUpgradeRequestOf({ _socket: socket })).toBe(upgrade);
    // A request-shaped object from a message is not a request.
    expect(wsUpgradeRequestOf({ request: { headers: { 'x-forwarded-for': '1.2.3.4' } } })).toBe(
      undefined,
    );
    expect(wsUpgradeRequestOf(undefined)).toBeUndefined();
  });

  it('reads the peer address of ws and socket.io clients', () => {
    expect(wsPeerAddressOf({ _socket: { remoteAddress: '::ffff:10.0.0.1' } })).toBe(
      '::ffff:10.0.0.1',
    );
    expect(wsPeerAddressOf({ conn: { remoteAddress: '10.0.0.2' } })).toBe('10.0.0.2');
    expect(wsPeerAddressOf({ handshake: { address: '10.0.0.3' } })).toBe('10.0.0.3');
    expect(wsPeerAddressOf({})).toBeUndefined();
  });

  it('sends a ws client the exception frame only while open, and never throws', () => {
    const sent: string[] = [];
    const open = { readyState: 1, send: (frame: string) => sent.push(frame), emit: jest.fn() };
    sendWsException(open, { error: 'captcha_required' });
    expect(sent.map((frame) => JSON.parse(frame) as unknown)).toEqual([
      { event: 'exception', data: { error: 'captcha_required' } },
    ]);
    expect(open.emit).not.toHaveBeenCalled();
    const closing = { readyState: 2, send: jest.fn() };
    sendWsException(closing, {});
    expect(closing.send).not.toHaveBeenCalled();
    const broken = {
      readyState: 1,
      send: () => {
        throw new Error('gone');
      },
    };
    expect(() => sendWsException(broken, {})).not.toThrow();
    const socketIo = { emit: jest.fn() };
    sendWsException(socketIo, { error: 'captcha_invalid' });
    expect(socketIo.emit).toHaveBeenCalledWith('exception', { error: 'captcha_invalid' });
  });

  it('resolves a peer without headers: itself unless it is a trusted proxy', () => {
    const untrusting = new ClientIpResolver(false);
    expect(untrusting.resolvePeer('::ffff:127.0.0.1')).toEqual({
      ip: '127.0.0.1',
      source: 'socket',
    });
    const behindProxy = new ClientIpResolver('loopback');
    expect(behindProxy.resolvePeer('127.0.0.1')).toEqual({ ip: undefined, source: 'socket' });
    expect(behindProxy.resolvePeer('203.0.113.9')).toEqual({ ip: '203.0.113.9', source: 'socket' });
    expect(behindProxy.resolvePeer(undefined)).toEqual({ ip: undefined, source: 'socket' });
    expect(behindProxy.resolvePeer('not-an-ip')).toEqual({ ip: undefined, source: 'socket' });
  });
});
