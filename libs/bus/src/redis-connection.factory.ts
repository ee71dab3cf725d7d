import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';

/** One Redis server, or a Redis Cluster seen through ioredis' cluster client. */
export type RedisConnection = Redis | Cluster;

/**
 * What a connection is for. `publisher` sends the bus's publishes, `subscriber` holds its
 * subscriptions, `counter` runs the rate limiter's counting scripts.
 */
export type RedisConnectionRole = 'publisher' | 'subscriber' | 'counter';

export interface RedisConnectionSettings {
  /** redis://[user:password@]host:port[/db] or rediss://...; with `cluster`, seed nodes separated by commas. */
  url: string;
  cluster?: boolean;
  /** Upper bound for any command on the caller's path. */
  commandTimeoutMs: number;
}

/** Opens one connection from finished options; unit specs hand in a fake. */
export type RedisOpener = (role: RedisConnectionRole, options: RedisOptions) => RedisConnection;

const retryDelayMs = (attempt: number) => Math.min(100 * attempt, 2000);

/**
 * Every ioredis connection of the suite, with the same fail-fast options: the gateway stores
 * first and must never wait on a Redis that is away, so nothing queues while disconnected,
 * nothing is retried or resent, and every command is bounded by the command timeout.
 */
export class RedisConnectionFactory {
  constructor(
    private readonly settings: RedisConnectionSettings,
    private readonly opener?: RedisOpener,
  ) {}

  /** Connects at once; `name` shows in CLIENT LIST. */
  connect(role: RedisConnectionRole, name: string): RedisConnection {
    const options = this.optionsFor(role, name);
    if (this.opener) return this.opener(role, options);
    if (!this.settings.cluster) return new Redis(this.settings.url, options);
    const { seeds, clusterOptions } = this.clusterFor(role, options);
    return new Cluster(seeds, clusterOptions);
  }

  /** The options of one server connection (of each node's, on a cluster). */
  optionsFor(role: RedisConnectionRole, name: string): RedisOptions {
    const { commandTimeoutMs } = this.settings;
    return {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A command sent before a disconnect may have run: resending could count or deliver twice.
      autoResendUnfulfilledCommands: false,
      commandTimeout: commandTimeoutMs,
      connectTimeout: Math.max(commandTimeoutMs, 2000),
      retryStrategy: retryDelayMs,
      lazyConnect: false,
      connectionName: name,
      // Commands issued in the same tick leave in one write, in call order.
      enableAutoPipelining: role !== 'subscriber',
      // The bus restores subscriptions itself, so it knows when they are all confirmed.
      ...(role === 'subscriber' ? { autoResubscribe: false } : {}),
    };
  }

  /** ioredis' cluster client: seeds from `redis://a:6379,redis://b:6379`, auth and TLS from the first. */
  clusterFor(role: RedisConnectionRole, options: RedisOptions): { seeds: Array<{ host: string; port: number }>; clusterOptions: ClusterOptions } {
    const urls = this.settings.url.split(',').map((u) => new URL(u.trim()));
    const first = urls[0];
    const redisOptions: RedisOptions = {
      ...options,
      username: first.username ? decodeURIComponent(first.username) : undefined,
      password: first.password ? decodeURIComponent(first.password) : undefined,
      tls: first.protocol === 'rediss:' ? {} : undefined,
    };
    const clusterOptions: ClusterOptions = {
      // Must stay on for a cluster: its ready check (CLUSTER INFO) goes to a node connection that
      // may still be connecting, and without the queue it fails with "Connection is closed", the
      // client tears itself down and starts over right after connecting. Our commands do not
      // queue: the bus only sends on a client that is 'ready', and each node command is bounded
      // by commandTimeout.
      enableOfflineQueue: true,
      enableAutoPipelining: options.enableAutoPipelining,
      // One subscriber connection per shard, so SSUBSCRIBE reaches the shard owning the slot.
      // ioredis (5.11, 6.0) can wedge this group for good: RedisMessageBus.restartSubscriber.
      shardedSubscribers: role === 'subscriber',
      clusterRetryStrategy: retryDelayMs,
      redisOptions,
    };
    return { seeds: urls.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })), clusterOptions };
  }
}
