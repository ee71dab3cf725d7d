import { connect, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

interface Link {
  client: Socket;
  upstream: Socket;
  silent: boolean;
}

/**
 * A TCP hop in front of one gateway replica that can make chosen client links half-open: from
 * `silence()` on, no byte moves either way and nothing of the server's end (not its FIN, not its
 * RST) reaches the client, as when a NAT or a mobile network forgets a flow. The replica has to
 * find the dead socket by itself (its pings go unanswered); `release()` then resets the client's
 * end, as the client's own timeout would.
 */
export class HalfOpenProxy {
  private readonly links = new Map<number, Link>();
  private readonly server: Server;

  private constructor(private readonly targetPort: number) {
    this.server = createServer((client) => this.accept(client));
  }

  /** `port` 0: any free one. */
  static async start(targetPort: number, port = 0): Promise<HalfOpenProxy> {
    const proxy = new HalfOpenProxy(targetPort);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Silences the link whose client side is `clientPort`; false when there is none. */
  silence(clientPort: number): boolean {
    const link = this.links.get(clientPort);
    if (!link || link.silent) return false;
    link.silent = true;
    link.client.unpipe(link.upstream);
    link.upstream.unpipe(link.client);
    link.client.pause();
    link.upstream.pause();
    // Whatever the server does with its end now stays on this side.
    link.upstream.removeAllListeners('close');
    link.upstream.on('close', () => undefined);
    return true;
  }

  /** Ends a silenced link: the client's end is reset, the server's end destroyed if still there. */
  release(clientPort: number): void {
    const link = this.links.get(clientPort);
    if (!link) return;
    this.links.delete(clientPort);
    if (!link.client.destroyed) link.client.resetAndDestroy();
    if (!link.upstream.destroyed) link.upstream.destroy();
  }

  async close(): Promise<void> {
    for (const port of [...this.links.keys()]) this.release(port);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    const key = client.remotePort ?? 0;
    const upstream = connect(this.targetPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    const link: Link = { client, upstream, silent: false };
    this.links.set(key, link);
    const drop = () => {
      if (link.silent) return;
      if (this.links.get(key) === link) this.links.delete(key);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', () => {
      if (this.links.get(key) === link) this.links.delete(key);
      upstream.destroy();
    });
    upstream.once('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
