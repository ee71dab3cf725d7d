import { connect, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

type ProxyState = 'up' | 'cut' | 'stalled' | 'replies-held';

/** One client connection and its upstream, forwarded both ways while the proxy is up. */
class Link {
  private toServer = false;
  private toClient = false;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
  ) {}

  forward(): void {
    this.pipe(true, true);
  }

  /** Stops moving bytes either way; what is already read waits in the streams' buffers. */
  hold(): void {
    this.pipe(false, false);
  }

  /** Requests still reach the server; its answers wait (a reply path that drops packets). */
  holdReplies(): void {
    this.pipe(true, false);
  }

  reset(): void {
    for (const s of [this.client, this.upstream]) if (!s.destroyed) s.resetAndDestroy();
  }

  private pipe(toServer: boolean, toClient: boolean): void {
    if (toServer !== this.toServer) {
      if (toServer) this.client.pipe(this.upstream);
      else {
        this.client.unpipe(this.upstream);
        this.client.pause();
      }
      this.toServer = toServer;
    }
    if (toClient !== this.toClient) {
      if (toClient) this.upstream.pipe(this.client);
      else {
        this.upstream.unpipe(this.client);
        this.upstream.pause();
      }
      this.toClient = toClient;
    }
  }
}

/**
 * A TCP hop in front of a server (Redis, MariaDB) that a test can break the way networks break:
 * - cut(): every connection is reset and new ones are reset at once, until restore();
 * - stall(): connections stay open but no byte moves either way (a black hole), new ones are
 *   accepted and held the same; restore() lets everything that waited through, as TCP
 *   retransmission would.
 */
export class CuttableProxy {
  private readonly linkSet = new Set<Link>();
  private readonly server: Server;
  private readonly targetPort: number;
  private state: ProxyState = 'up';

  private constructor(private readonly target: URL) {
    this.targetPort = Number(target.port || (target.protocol === 'redis:' ? 6379 : 3306));
    this.server = createServer((client) => this.accept(client));
  }

  /** `targetUrl`: any URL with a host and port (redis://…, mysql://…/db); `port` 0: a free one. */
  static async start(targetUrl: string, port = 0): Promise<CuttableProxy> {
    const proxy = new CuttableProxy(new URL(targetUrl));
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The target URL with this proxy as host and port (user, database and options kept). */
  get url(): string {
    const url = new URL(this.target.toString());
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString().replace(/\/$/, '');
  }

  /** Connections currently relayed. */
  get links(): number {
    return this.linkSet.size;
  }

  get current(): ProxyState {
    return this.state;
  }

  /** Resets every connection and refuses new ones until restore(). */
  async cut(): Promise<void> {
    this.state = 'cut';
    for (const link of this.linkSet) link.reset();
    this.linkSet.clear();
  }

  /** Keeps every connection open but forwards nothing, until restore(). */
  async stall(): Promise<void> {
    this.state = 'stalled';
    for (const link of this.linkSet) link.hold();
  }

  /** Lets requests through but holds every answer, until restore(): a commit whose answer is lost. */
  async holdReplies(): Promise<void> {
    this.state = 'replies-held';
    for (const link of this.linkSet) link.holdReplies();
  }

  async restore(): Promise<void> {
    this.state = 'up';
    for (const link of this.linkSet) link.forward();
  }

  async close(): Promise<void> {
    await this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.state === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.targetPort, this.target.hostname);
    upstream.on('error', () => undefined);
    const link = new Link(client, upstream);
    this.linkSet.add(link);
    const drop = () => {
      this.linkSet.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    if (this.state === 'up') link.forward();
    else if (this.state === 'replies-held') link.holdReplies();
    else link.hold();
  }
}
