import { clientAddress } from './client-address';

const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;

describe('clientAddress', () => {
  it('is the TCP peer unless proxies are trusted', () => {
    expect(clientAddress(req('::ffff:10.0.0.1', '1.2.3.4'), 0)).toBe('10.0.0.1');
  });

  it('takes the address the trusted proxy saw, never what the client wrote left of it', () => {
    expect(clientAddress(req('10.0.0.1', 'forged, 203.0.113.9'), 1)).toBe('203.0.113.9');
    expect(clientAddress(req('10.0.0.1', 'forged, 203.0.113.9, 10.0.0.2'), 2)).toBe('203.0.113.9');
    expect(clientAddress(req('10.0.0.1'), 1)).toBe('10.0.0.1');
  });
});
