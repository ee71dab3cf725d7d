import { fromThisMachine } from './loopback-only.guard';

const req = (remoteAddress: string | undefined, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress }, headers }) as unknown as Parameters<typeof fromThisMachine>[0];

describe('fromThisMachine', () => {
  it('takes loopback peers over IPv4, IPv6 and IPv4-mapped IPv6', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(fromThisMachine(req(a))).toBe(true);
  });

  it('refuses other peers, and a loopback peer that forwards for someone else', () => {
    for (const a of ['192.168.1.20', '10.0.0.1', '::ffff:192.168.1.20', 'fe80::1', '128.0.0.1', undefined]) expect(fromThisMachine(req(a))).toBe(false);
    expect(fromThisMachine(req('127.0.0.1', { 'x-forwarded-for': '192.168.1.20' }))).toBe(false);
    expect(fromThisMachine(req('127.0.0.1', { 'x-real-ip': '192.168.1.20' }))).toBe(false);
    expect(fromThisMachine(req('127.0.0.1', { forwarded: 'for=192.168.1.20' }))).toBe(false);
  });
});
