import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect, createServer, Server, Socket } from 'node:net';
import Redis from 'ioredis';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `check` until it holds; a bounded wait, not a timing assertion. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, disconnectTimeout: 50 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * A throwaway `redis-server` on its own port, so a test can kill and restart it without touching
 * the shared one. Keeps nothing on disk.
 */
export class RedisTestServer {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisTestServer> {
    const server = new RedisTestServer(await freePort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    if (this.process) throw new Error('redis-server already running');
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp'],
      { stdio: 'ignore' },
    );
    this.process = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitFor(`redis-server on ${this.port}`, () => redisAnswers(this.url)), exited]);
  }

  /** SIGKILL: the server vanishes without closing anything politely. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** describe() for tests that start their own `redis-server`: skipped with one line where the binary is missing, failing under CI. */
export function describeWithRedisServer(name: string, body: () => void): void {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (found || /^(1|true|yes)$/i.test(process.env.CI ?? '')) {
    describe(name, body);
    return;
  }
  console.warn(`[skip] ${name}: redis-server is not installed (apt-get install redis-server)`);
  describe.skip(name, body);
}

/**
 * A TCP relay in front of a Redis, so a test can cut one client off while others stay connected
 * (a network partition between one replica and Redis).
 */
export class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(targetUrl: string): Promise<CuttableProxy> {
    const { hostname, port } = new URL(targetUrl);
    const proxy = new CuttableProxy(await freePort(), { host: hostname, port: Number(port || 6379) });
    await proxy.restore();
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  restore(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((client) => {
        const upstream = connect(this.target.port, this.target.host);
        for (const s of [client, upstream]) {
          this.sockets.add(s);
          s.on('close', () => this.sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
      this.server = server;
    });
  }

  /** Drops every connection and refuses new ones until restore(). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
