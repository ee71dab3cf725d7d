import { connect, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { CuttableProxy } from './cuttable-proxy';
import { sleep, waitFor } from './wait';

// The proxy in front of a plain TCP echo server: what a client sees while it is up, cut, stalled.

interface Client {
  socket: Socket;
  received: () => string;
  /** How the connection ended: an error code (ECONNRESET) or 'closed'. */
  ended: Promise<string>;
}

/** Connects; a connection the proxy resets at once still resolves, with `ended` saying so. */
function open(port: number): Client {
  let data = '';
  const socket = connect(port, '127.0.0.1');
  const ended = new Promise<string>((resolve) => {
    let code = 'closed';
    socket.on('error', (e: NodeJS.ErrnoException) => (code = e.code ?? 'error'));
    socket.on('close', () => resolve(code));
  });
  socket.on('data', (c) => (data += c.toString()));
  return { socket, received: () => data, ended };
}

describe('CuttableProxy', () => {
  let echo: Server;
  let proxy: CuttableProxy;

  beforeAll(async () => {
    echo = createServer((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    proxy = await CuttableProxy.start(`mysql://root@127.0.0.1:${(echo.address() as AddressInfo).port}/somedb`);
  });
  afterAll(async () => {
    await proxy?.close();
    await new Promise((r) => echo.close(r));
  });

  it('names itself in the target URL, keeping user and database', () => {
    expect(proxy.url).toBe(`mysql://root@127.0.0.1:${proxy.port}/somedb`);
  });

  it('forwards both ways while up', async () => {
    const c = open(proxy.port);
    c.socket.write('ping');
    await waitFor('the echo', () => c.received() === 'ping');
    c.socket.destroy();
  });

  it('cut: resets open connections and new ones until restored', async () => {
    const c = open(proxy.port);
    await waitFor('the connection through the proxy', () => proxy.links === 1);
    await proxy.cut();
    await expect(c.ended).resolves.toBe('ECONNRESET');
    const refused = open(proxy.port);
    await expect(refused.ended).resolves.toBe('ECONNRESET');
    await proxy.restore();
    const again = open(proxy.port);
    again.socket.write('back');
    await waitFor('the echo after restore', () => again.received() === 'back');
    again.socket.destroy();
  });

  it('stall: keeps connections open, moves no byte, then lets everything through on restore', async () => {
    const c = open(proxy.port);
    await waitFor('the connection through the proxy', () => proxy.links === 1);
    await proxy.stall();
    c.socket.write('held');
    const late = open(proxy.port); // accepted, but black-holed too
    late.socket.write('also held');
    await sleep(300);
    expect(c.received()).toBe('');
    expect(late.received()).toBe('');
    expect(c.socket.destroyed).toBe(false);
    await proxy.restore();
    await waitFor('the held bytes', () => c.received() === 'held' && late.received() === 'also held');
    c.socket.destroy();
    late.socket.destroy();
  });
});
