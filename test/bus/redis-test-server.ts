import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../support/free-port';
import { redisProbe } from '../support/redis-probe';
import { waitFor } from '../support/wait';

export async function redisAnswers(url: string): Promise<boolean> {
  const probe = redisProbe(url);
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

  /** `port`: a fixed one (0 or absent: a free one). */
  static async start(port = 0): Promise<RedisTestServer> {
    const server = new RedisTestServer(port || (await freePort()));
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
 * A throwaway Redis Cluster of three masters (no replicas) on free ports, each node keeping its
 * cluster identity in its own temporary directory so it rejoins after a restart.
 */
export class RedisTestCluster {
  private constructor(
    readonly nodes: RedisClusterNode[],
    private readonly root: string,
  ) {}

  static async start(size = 3): Promise<RedisTestCluster> {
    const root = mkdtempSync(join(tmpdir(), 'bus-cluster-'));
    const nodes: RedisClusterNode[] = [];
    for (let i = 0; i < size; i++) nodes.push(new RedisClusterNode(await freePort(), join(root, String(i))));
    const cluster = new RedisTestCluster(nodes, root);
    try {
      for (const node of nodes) await node.start();
      const created = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'],
        { encoding: 'utf8', timeout: 20_000 },
      );
      if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
      await cluster.waitHealthy();
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** Every node answers and reports the whole slot space served. */
  async waitHealthy(): Promise<void> {
    await waitFor(
      'cluster_state:ok on every node',
      async () => (await Promise.all(this.nodes.map((n) => n.clusterStateOk()))).every(Boolean),
      20_000,
    );
  }

  /** The node whose slot range holds `key`. */
  async nodeFor(key: string): Promise<RedisClusterNode> {
    const admin = new Redis(this.nodes[0].url);
    try {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await admin.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      const node = this.nodes.find((n) => n.port === Number(owner?.[2][1]));
      if (!node) throw new Error(`no node owns slot ${slot}`);
      return node;
    } finally {
      admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.kill();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export class RedisClusterNode {
  private process: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000',
        '--dir', this.dir,
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    await waitFor(`cluster node on ${this.port}`, () => redisAnswers(this.url));
  }

  async clusterStateOk(): Promise<boolean> {
    const admin = redisProbe(this.url);
    try {
      await admin.connect();
      return /cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO')));
    } catch {
      return false;
    } finally {
      admin.disconnect();
    }
  }

  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
