import { RedisTestServer } from '../../test/bus/redis-test-server';
import { freePort } from '../../test/support/free-port';
import { sleep, waitFor } from '../../test/support/wait';
import { CuttableProxy } from '../../test/support/cuttable-proxy';
import { killStartedGateways } from '../../test/support/gateway-process';
import { HalfOpenProxy } from './half-open-proxy';
import { ReplicaSlot } from './replica-slot';

export interface ClusterOptions {
  /** The run's database, reached directly; the replicas get it through the proxy. */
  databaseUrl: string;
  jwtSecret: string;
  entry: 'dist' | 'source';
  replicas: number;
  storeTimeoutMs: number;
  /** DATABASE_STATEMENT_TIMEOUT_MS of the replicas. */
  statementTimeoutMs: number;
  /** Fixed ports; 0 or missing: any free one. */
  ports?: { replicas: number[]; deviceProxies: number[]; databaseProxy: number; redis: number };
  replicaEnv: Record<string, string>;
  clock: () => number;
  log: (line: string) => void;
}

const live = new Set<SoakCluster>();

/**
 * Every process of a soak besides the clients: gateway replicas on fixed ports, a redis-server of
 * its own and a cuttable proxy in front of MariaDB; and the faults that act on them.
 */
export class SoakCluster {
  private rssTimer?: NodeJS.Timeout;

  private constructor(
    readonly redis: RedisTestServer,
    readonly proxy: CuttableProxy,
    readonly slots: ReplicaSlot[],
    /** One per replica, same order: devices that connect through them can be made half-open. */
    readonly deviceProxies: HalfOpenProxy[] = [],
  ) {}

  static async start(o: ClusterOptions): Promise<SoakCluster> {
    const redis = await RedisTestServer.start(o.ports?.redis ?? 0);
    const proxy = await CuttableProxy.start(o.databaseUrl, o.ports?.databaseProxy ?? 0).catch(async (e: unknown) => {
      await redis.kill();
      throw e;
    });
    const ports = await Promise.all(Array.from({ length: o.replicas }, (_, i) => (o.ports?.replicas[i] ? Promise.resolve(o.ports.replicas[i]) : freePort())));
    let migrated = false;
    const slots = ports.map(
      (port, index) =>
        new ReplicaSlot({
          index,
          port,
          entry: o.entry,
          clock: o.clock,
          log: o.log,
          env: () => {
            // Only the first boot of the first replica migrates; the others must not race it.
            const migrate = index === 0 && !migrated;
            if (migrate) migrated = true;
            return {
              DATABASE_URL: proxy.url,
              DATABASE_RUN_MIGRATIONS: String(migrate),
              REDIS_URL: redis.url,
              REDIS_KEY_PREFIX: 'soak:',
              JWT_SECRET: o.jwtSecret,
              INSTANCE_ID: `soak-${index + 1}`,
              NODE_ENV: 'production',
              LOG_FORMAT: 'json',
              LOG_LEVEL: 'warn',
              CHAT_STORE_TIMEOUT_MS: String(o.storeTimeoutMs),
              DATABASE_STATEMENT_TIMEOUT_MS: String(o.statementTimeoutMs),
              // Dead and paused sockets are found within a fault's span, not after a minute.
              CHAT_PING_INTERVAL_MS: '10000',
              ...o.replicaEnv,
            };
          },
        }),
    );
    const cluster = new SoakCluster(redis, proxy, slots);
    live.add(cluster);
    try {
      for (const [i, port] of ports.entries()) cluster.deviceProxies.push(await HalfOpenProxy.start(port, o.ports?.deviceProxies[i] ?? 0));
      await Promise.all(slots.map((s) => s.start()));
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    cluster.rssTimer = setInterval(() => slots.forEach((s) => s.sampleRss()), 500);
    return cluster;
  }

  get ports(): number[] {
    return this.slots.map((s) => s.port);
  }

  get proxyPorts(): number[] {
    return this.deviceProxies.map((p) => p.port);
  }

  get crashes(): number {
    return this.slots.reduce((n, s) => n + s.crashes.length, 0);
  }

  /** Waits for the slot to be serving (a crashed one is being restarted); false after `timeoutMs`. */
  private async upOrSkip(index: number, timeoutMs = 30_000): Promise<ReplicaSlot | undefined> {
    const slot = this.slots[index % this.slots.length];
    const ok = await waitFor(`${slot.name} up`, () => slot.up, timeoutMs).then(
      () => true,
      () => false,
    );
    return ok ? slot : undefined;
  }

  async killReplica(index: number, downMs: number): Promise<string> {
    const slot = await this.upOrSkip(index);
    if (!slot) return 'skipped: replica not up';
    await slot.kill();
    await sleep(downMs);
    await slot.start();
    return `${slot.name}: SIGKILL, down ${downMs} ms`;
  }

  async termReplica(index: number, downMs: number, boundMs: number): Promise<string> {
    const slot = await this.upOrSkip(index);
    if (!slot) return 'skipped: replica not up';
    const started = Date.now();
    await slot.term(boundMs);
    const tookMs = Date.now() - started;
    await sleep(downMs);
    await slot.start();
    const exit = slot.exits[slot.exits.length - 1];
    const how = exit?.signal ? `signal ${exit.signal}` : `code ${exit?.code ?? '?'}`;
    return `${slot.name}: SIGTERM, exited after ${tookMs} ms (${how}), down ${downMs} ms more`;
  }

  async restartRedis(downMs: number): Promise<string> {
    await this.redis.kill();
    await sleep(downMs);
    await this.redis.restart();
    return `redis-server SIGKILL, restarted after ${downMs} ms`;
  }

  async cutDatabase(ms: number): Promise<string> {
    await this.proxy.cut();
    await sleep(ms);
    await this.proxy.restore();
    return `database connections reset and refused for ${ms} ms`;
  }

  async stallDatabase(ms: number): Promise<string> {
    await this.proxy.stall();
    await sleep(ms);
    await this.proxy.restore();
    return `database black-holed for ${ms} ms`;
  }

  /** Every replica up and ready, Redis answering, the database reachable; false after `timeoutMs`. */
  async waitHealthy(timeoutMs: number): Promise<boolean> {
    return waitFor(
      'every replica ready',
      async () => this.proxy.current === 'up' && (await Promise.all(this.slots.map((s) => s.ready()))).every(Boolean),
      timeoutMs,
    ).then(
      () => true,
      () => false,
    );
  }

  async stop(): Promise<void> {
    live.delete(this);
    if (this.rssTimer) clearInterval(this.rssTimer);
    await Promise.all(this.slots.map((s) => s.stop()));
    await this.redis.kill();
    await this.proxy.close();
    for (const p of this.deviceProxies) await p.close();
  }

  /** For exit and signal handlers: SIGKILL to every child of every cluster, now. */
  static killAllNow(): void {
    killStartedGateways();
    for (const cluster of live) void cluster.redis.kill();
  }
}
