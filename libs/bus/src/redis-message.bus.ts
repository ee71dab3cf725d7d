import { Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import { BusEvent, BusEventHandler, BusMessage, MessageBus } from './message-bus';

export type ShardedPubSubMode = 'auto' | 'on' | 'off';

/** One Redis server, or a Redis Cluster seen through ioredis' cluster client. */
export type BusConnection = Redis | Cluster;

export interface RedisMessageBusOptions {
  /** redis://[:password@]host:port[/db] or rediss://...; with `cluster`, seed nodes separated by commas. */
  url: string;
  /** Talk to a Redis Cluster: sharded pub/sub, each user's channel on the shard owning its slot. */
  cluster?: boolean;
  /** Prepended to every channel name, so several deployments can share one Redis. */
  keyPrefix: string;
  /** Names this process in the envelope; its own messages coming back are skipped. */
  instanceId: string;
  /** Upper bound for any Redis command on the caller's path (publish, subscribe). */
  commandTimeoutMs: number;
  /** `auto` uses SSUBSCRIBE/SPUBLISH when the server knows them (Redis >= 7). */
  shardedPubSub: ShardedPubSubMode;
  /** How often both connections are pinged; a silent connection is dropped and rebuilt. */
  healthCheckIntervalMs: number;
  /** Most users whose failed publish is remembered for a resync hint after reconnect. */
  maxMissedUsers?: number;
  /** Replaces `new Redis(url, options)`; unit specs hand in a fake. */
  connect?: (role: 'publisher' | 'subscriber', url: string, options: RedisOptions) => BusConnection;
}

/** Thrown (fast) while Redis cannot take the command; the caller keeps working locally. */
export class BusUnavailableError extends Error {
  constructor(reason: string) {
    super(`Redis bus unavailable: ${reason}`);
    this.name = 'BusUnavailableError';
  }
}

/**
 * What travels on a user channel: an event, or a hint that peers must re-read. Messages travel
 * in `msg`, as replicas of the previous release read them (a rolling upgrade keeps delivering);
 * the other events in `ev`, which those replicas ignore.
 */
interface Envelope {
  v: 1;
  /** instanceId of the publisher. */
  from: string;
  msg?: Omit<BusMessage, 'type'> & { type?: 'message' };
  ev?: BusEvent;
  resync?: true;
}

type PubSubMode = 'sharded' | 'classic';

const RESUBSCRIBE_BATCH = 500;

/**
 * Routes each message only to the replicas holding a socket of its user: one channel per user,
 * subscribed while this process holds that user (never one broadcast channel every replica must
 * read and filter). Channel names carry a `{user}` hash tag, so with sharded pub/sub each user's
 * traffic lives on one shard of a Redis Cluster.
 *
 * Local sockets get the message straight from publish(), as with the in-process bus, so a replica
 * keeps delivering locally while Redis is away; its own echo from Redis is skipped.
 *
 * Loss is made visible rather than hidden: while Redis is unreachable publish() and subscribe()
 * reject at once (no offline queue), isLive() is false, and once the subscriber is back every held
 * user is re-subscribed before onResync handlers fire, so the gateway can re-read from the
 * database. Users whose publish failed get a resync hint on their channel after reconnect, which
 * makes replicas that never lost Redis themselves re-read too.
 */
export class RedisMessageBus implements MessageBus, OnApplicationShutdown {
  private readonly logger = new Logger(RedisMessageBus.name);
  private readonly publisher: BusConnection;
  // Replaced as a whole when a cluster client's shard subscribers wedge (see restartSubscriber).
  private subscriber: BusConnection;
  private readonly connect: (role: 'publisher' | 'subscriber', url: string, options: RedisOptions) => BusConnection;
  private readonly subscriberOptions: RedisOptions;
  private readonly held = new Set<number>();
  private readonly missed = new Set<number>();
  private readonly resyncHandlers: Array<() => void> = [];
  private handler: BusEventHandler = () => undefined;
  private mode: PubSubMode | undefined;
  private subscriberLive = false;
  // Why the next successful (re)subscription must ask holders to re-read: subscriptions were
  // lost after being live, or a user was taken on while they could not be made.
  private lostSinceLive = false;
  private heldWhileDown = false;
  private droppedWhileLive = false;
  // Bumped whenever the subscriber connection changes state, so a resubscription that finishes
  // after the connection dropped again does not declare the bus live.
  private generation = 0;
  private resyncScheduled = false;
  // A re-subscription of every held user is running (onSubscriberReady).
  private resubscribing = false;
  // When the subscriber was last seen connected but not live (cluster watchdog), 0 otherwise.
  private stalledSince = 0;
  private closed = false;
  private outage = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private reconnectCount = 0;

  constructor(private readonly options: RedisMessageBusOptions) {
    const common: RedisOptions = {
      // Fail fast: the gateway stores first and must not wait on a bus that is away.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(options.commandTimeoutMs, 2000),
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
      lazyConnect: false,
    };
    this.connect =
      options.connect ??
      ((role: 'publisher' | 'subscriber', url: string, opts: RedisOptions) =>
        options.cluster ? connectCluster(role, url, opts) : new Redis(url, opts));
    // A cluster has no broadcast-free classic pub/sub: PUBLISH goes to every node.
    if (options.cluster) this.mode = 'sharded';
    this.publisher = this.connect('publisher', options.url, {
      ...common,
      connectionName: `${options.instanceId}:pub`,
      autoResendUnfulfilledCommands: false,
      // Publishes issued in the same tick leave in one write: one syscall instead of one per
      // channel, in the same order.
      enableAutoPipelining: true,
    });
    this.publisher.on('ready', () => void this.onPublisherReady());
    this.publisher.on('close', () => this.noteOutage('publisher connection closed'));
    // ioredis emits 'error' on every failed reconnect; the outage is logged once instead.
    this.publisher.on('error', (err: Error) => this.noteOutage(err.message));

    // Subscriptions are restored here, not by ioredis, so we know when they are all confirmed.
    this.subscriberOptions = {
      ...common,
      connectionName: `${options.instanceId}:sub`,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
    };
    this.subscriber = this.openSubscriber();

    if (options.healthCheckIntervalMs > 0) {
      this.healthTimer = setInterval(() => void this.healthCheck(), options.healthCheckIntervalMs);
      this.healthTimer.unref();
    }
  }

  /** Connects a subscriber client; events of a client that has since been replaced are ignored. */
  private openSubscriber(): BusConnection {
    const sub = this.connect('subscriber', this.options.url, this.subscriberOptions);
    const current = () => sub === this.subscriber && !this.closed;
    sub.on('ready', () => {
      if (current() && !this.subscriberLive) void this.onSubscriberReady();
    });
    sub.on('close', () => {
      if (current()) this.onSubscriberLost();
    });
    sub.on('error', (err: Error) => {
      if (current()) this.noteOutage(err.message);
    });
    sub.on('smessage', (channel: string, payload: string) => {
      if (current()) this.onChannelMessage(channel, payload);
    });
    sub.on('message', (channel: string, payload: string) => {
      if (current()) this.onChannelMessage(channel, payload);
    });
    if (this.options.cluster) {
      // A shard's subscriber connection went away: what it carried may be lost. ioredis
      // rebuilds the shard subscribers and says 'subscribersReady'; we then confirm every held
      // channel ourselves before going live and asking for a re-read.
      sub.on('-node', (node?: Redis) => {
        // Only the per-shard subscriber connections carry subscriptions; the cluster client
        // also drops and replaces its ordinary node connections as it learns the slot map.
        const shardSubscriber = /\(ssubscriber\)/.test(node?.options?.connectionName ?? '');
        if (current() && shardSubscriber && this.subscriberLive) this.onSubscriberLost();
      });
      // Also sent while the client is still connecting (for an empty slot map): that one is
      // followed by 'ready', which does the work.
      sub.on('subscribersReady', () => {
        if (current() && !this.subscriberLive && sub.status === 'ready') void this.onSubscriberReady();
      });
    }
    return sub;
  }

  /**
   * We no longer know what the server holds for us: start the subscriber over, which
   * re-subscribes every held user and fires onResync. A single server's connection is simply
   * reconnected. A cluster client is replaced whole: ioredis (5.11, 6.0) wedges its shard
   * subscriber group for good when the client is torn down while a shard connection is half
   * open (a reset waits on a connect whose listeners were removed), after which every
   * SSUBSCRIBE answers "No sharded subscriber" however often it reconnects.
   */
  private restartSubscriber(reason: string): void {
    this.logger.warn(`${reason}; reconnecting the subscriber`);
    if (!this.options.cluster) {
      this.subscriber.disconnect(true);
      return;
    }
    const old = this.subscriber;
    this.onSubscriberLost();
    this.subscriber = this.openSubscriber();
    old.removeAllListeners();
    old.on('error', () => undefined);
    old.disconnect();
  }

  /** How long ioredis may take to (re)build its shard subscribers before we stop waiting. */
  private get shardRebuildMs(): number {
    return Math.max(4 * this.options.commandTimeoutMs, 2000);
  }

  /** `<prefix>user:{<id>}`: the braces are the Redis Cluster hash tag. */
  channelFor(userId: number): string {
    return `${this.options.keyPrefix}user:{${userId}}`;
  }

  /** The pub/sub flavour in use, once the server has been reached. */
  get pubSubMode(): PubSubMode | undefined {
    return this.mode;
  }

  /** How many times the subscriber came back after having been live (for metrics). */
  get reconnects(): number {
    return this.reconnectCount;
  }

  async publish(userIds: readonly number[], event: BusEvent): Promise<void> {
    const users = [...new Set(userIds)];
    // Local sockets first, exactly like the in-process bus: this works with Redis away.
    for (const userId of users) {
      if (this.held.has(userId)) this.deliver(userId, event);
    }
    if (this.closed) return;
    const envelope: Envelope = event.type === 'message' ? { v: 1, from: this.options.instanceId, msg: event } : { v: 1, from: this.options.instanceId, ev: event };
    const payload = JSON.stringify(envelope);
    const failures: number[] = [];
    let firstError: unknown;
    // One connection writes the commands in call order, so each user's channel sees them in order.
    await Promise.all(
      users.map((userId) =>
        this.send(this.channelFor(userId), payload).catch((err: unknown) => {
          failures.push(userId);
          firstError ??= err;
        }),
      ),
    );
    if (failures.length > 0) {
      for (const userId of failures) this.rememberMissed(userId);
      throw firstError instanceof BusUnavailableError
        ? firstError
        : new BusUnavailableError(errorText(firstError));
    }
  }

  async subscribe(userId: number): Promise<void> {
    // Held even if Redis is away: the reconnect subscribes it, then onResync fires.
    this.held.add(userId);
    if (this.closed) throw new BusUnavailableError('bus closed');
    const mode = this.mode;
    if (this.subscriber.status !== 'ready' || !mode) {
      this.heldWhileDown = true;
      throw new BusUnavailableError(`subscriber ${this.subscriber.status}`);
    }
    const generation = this.generation;
    try {
      await this.subscribeChannels(mode, [this.channelFor(userId)]);
    } catch (err) {
      // We no longer know what the server holds for us: rebuild the connection, which
      // re-subscribes every held user and fires onResync.
      if (generation === this.generation && this.subscriber.status === 'ready') {
        this.restartSubscriber(`subscribe failed (${errorText(err)})`);
      }
      throw new BusUnavailableError(errorText(err));
    }
  }

  async unsubscribe(userId: number): Promise<void> {
    this.held.delete(userId);
    const mode = this.mode;
    if (this.closed || this.subscriber.status !== 'ready' || !mode) return;
    const channel = this.channelFor(userId);
    try {
      await (mode === 'sharded' ? this.subscriber.sunsubscribe(channel) : this.subscriber.unsubscribe(channel));
    } catch (err) {
      // Harmless: a late message for a user no longer held is dropped on arrival.
      this.logger.debug(`unsubscribe failed: ${errorText(err)}`);
    }
  }

  onEvent(handler: BusEventHandler): void {
    this.handler = handler;
  }

  onResync(handler: () => void): void {
    this.resyncHandlers.push(handler);
  }

  isLive(): boolean {
    return !this.closed && this.subscriberLive && this.subscriber.status === 'ready' && this.publisher.status === 'ready';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscriberLive = false;
    this.held.clear();
    if (this.healthTimer) clearInterval(this.healthTimer);
    await Promise.all([quitQuietly(this.subscriber), quitQuietly(this.publisher)]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private async send(channel: string, payload: string): Promise<void> {
    const mode = this.mode;
    if (this.publisher.status !== 'ready' || !mode) {
      throw new BusUnavailableError(`publisher ${this.publisher.status}`);
    }
    await (mode === 'sharded' ? this.publisher.spublish(channel, payload) : this.publisher.publish(channel, payload));
  }

  private async subscribeChannels(mode: PubSubMode, channels: string[]): Promise<void> {
    if (this.options.cluster) {
      // One command per channel: channels of one command must share a slot.
      await Promise.all(channels.map((channel) => this.clusterSubscribe(channel)));
      return;
    }
    await (mode === 'sharded' ? this.subscriber.ssubscribe(...channels) : this.subscriber.subscribe(...channels));
  }

  /**
   * SSUBSCRIBE on a cluster. While ioredis is (re)building its per-shard subscribers it answers
   * "No sharded subscriber for slot"; that is retried for a bounded time, anything else is not.
   */
  private async clusterSubscribe(channel: string): Promise<void> {
    const deadline = Date.now() + this.shardRebuildMs;
    for (;;) {
      try {
        await this.subscriber.ssubscribe(channel);
        return;
      } catch (err) {
        if (!/No sharded subscriber/.test(errorText(err)) || Date.now() > deadline || this.closed) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private async onSubscriberReady(): Promise<void> {
    const generation = ++this.generation;
    this.resubscribing = true;
    try {
      const mode = await this.detectMode(this.subscriber);
      const users = [...this.held];
      for (let i = 0; i < users.length; i += RESUBSCRIBE_BATCH) {
        if (generation !== this.generation) return;
        await this.subscribeChannels(
          mode,
          users.slice(i, i + RESUBSCRIBE_BATCH).map((userId) => this.channelFor(userId)),
        );
      }
      // Confirmed on a client that is not (or no longer) ready: its 'ready' starts over.
      if (generation !== this.generation || this.closed || this.subscriber.status !== 'ready') return;
      this.subscriberLive = true;
      const resync = this.lostSinceLive || this.heldWhileDown;
      if (this.droppedWhileLive) this.reconnectCount += 1;
      this.droppedWhileLive = false;
      this.lostSinceLive = false;
      this.heldWhileDown = false;
      if (this.outage) {
        this.outage = false;
        this.logger.log(`Redis bus back (${mode} pub/sub, ${users.length} users re-subscribed)`);
      } else {
        this.logger.log(`Redis bus live (${mode} pub/sub)`);
      }
      // Anything published while we were away is gone from pub/sub; users held before this
      // moment may have missed messages, so holders re-read from the database.
      if (resync) this.fireResync();
    } catch (err) {
      if (generation !== this.generation || this.closed) return;
      this.restartSubscriber(`re-subscription failed (${errorText(err)})`);
    } finally {
      if (generation === this.generation) this.resubscribing = false;
    }
  }

  private onSubscriberLost(): void {
    if (this.subscriberLive) this.droppedWhileLive = true;
    // Held users may have missed messages while subscriptions were down; with none held there
    // is nothing to re-read.
    if (this.held.size > 0) this.lostSinceLive = true;
    this.generation += 1;
    this.subscriberLive = false;
    this.resubscribing = false;
    this.noteOutage('subscriber connection closed');
  }

  private async onPublisherReady(): Promise<void> {
    try {
      await this.detectMode(this.publisher);
    } catch (err) {
      this.logger.warn(`pub/sub mode detection failed: ${errorText(err)}`);
      return;
    }
    if (this.missed.size === 0) return;
    // Tell the holders of every user whose message we could not publish to re-read.
    const users = [...this.missed];
    this.missed.clear();
    const hint = JSON.stringify({ v: 1, from: this.options.instanceId, resync: true } satisfies Envelope);
    await Promise.all(
      users.map((userId) => this.send(this.channelFor(userId), hint).catch(() => this.rememberMissed(userId))),
    );
  }

  private async detectMode(connection: BusConnection): Promise<PubSubMode> {
    if (this.mode) return this.mode;
    let mode: PubSubMode;
    if (this.options.shardedPubSub === 'on') mode = 'sharded';
    else if (this.options.shardedPubSub === 'off') mode = 'classic';
    else {
      // COMMAND INFO answers [null] for a command the server does not know (Redis < 7).
      const info = (await connection.call('COMMAND', 'INFO', 'SPUBLISH')) as unknown[];
      mode = Array.isArray(info) && info[0] ? 'sharded' : 'classic';
    }
    this.mode ??= mode;
    return this.mode;
  }

  private onChannelMessage(channel: string, payload: string): void {
    const userId = this.userOf(channel);
    if (userId === undefined || !this.held.has(userId)) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      this.logger.warn(`dropped an unparsable bus payload on ${channel}`);
      return;
    }
    // Our own publish (or hint) was already delivered locally.
    if (envelope.from === this.options.instanceId) return;
    if (envelope.resync) this.fireResync();
    else if (envelope.msg) this.deliver(userId, { ...envelope.msg, type: 'message' });
    else if (envelope.ev) this.deliver(userId, envelope.ev);
  }

  private userOf(channel: string): number | undefined {
    const prefix = `${this.options.keyPrefix}user:{`;
    if (!channel.startsWith(prefix) || !channel.endsWith('}')) return undefined;
    const userId = Number(channel.slice(prefix.length, -1));
    return Number.isSafeInteger(userId) ? userId : undefined;
  }

  private deliver(userId: number, event: BusEvent): void {
    try {
      this.handler(userId, event);
    } catch (err) {
      // One failing socket must not stop delivery to the others.
      this.logger.error(`bus handler failed for an event: ${errorText(err)}`);
    }
  }

  private rememberMissed(userId: number): void {
    if (this.missed.size < (this.options.maxMissedUsers ?? 100_000)) this.missed.add(userId);
  }

  private fireResync(): void {
    // Coalesced: a burst of hints costs one re-read.
    if (this.resyncScheduled) return;
    this.resyncScheduled = true;
    setImmediate(() => {
      this.resyncScheduled = false;
      if (this.closed) return;
      for (const handler of this.resyncHandlers) {
        try {
          handler();
        } catch (err) {
          this.logger.error(`resync handler failed: ${errorText(err)}`);
        }
      }
    });
  }

  private noteOutage(reason: string): void {
    if (this.closed || this.outage) return;
    this.outage = true;
    this.logger.warn(`Redis bus down: ${reason}; delivering locally until it is back`);
  }

  private async healthCheck(): Promise<void> {
    if (this.closed) return;
    this.watchClusterSubscriber();
    // A half-open TCP connection never closes by itself; force a rebuild.
    const subscriber = this.subscriber;
    const subscriberError = await this.pingError(subscriber);
    if (subscriberError && subscriber === this.subscriber) this.restartSubscriber(`Redis ping failed (${subscriberError})`);
    const publisherError = await this.pingError(this.publisher);
    if (publisherError) {
      this.logger.warn(`Redis ping failed (${publisherError}); reconnecting`);
      this.publisher.disconnect(true);
    }
  }

  /** Why a ready connection did not answer a ping; undefined when it did, or is no longer ready. */
  private async pingError(connection: BusConnection): Promise<string | undefined> {
    if (this.closed || connection.status !== 'ready') return undefined;
    try {
      await connection.ping();
      return undefined;
    } catch (err) {
      return this.closed || connection.status !== 'ready' ? undefined : errorText(err);
    }
  }

  /**
   * A cluster client that lost a shard subscriber only comes back through 'subscribersReady',
   * which a wedged shard subscriber group never sends while the client itself stays 'ready'.
   * Connected but not live for a while, with no re-subscription running: try one ourselves; it
   * either succeeds or restarts the subscriber.
   */
  private watchClusterSubscriber(): void {
    if (!this.options.cluster || this.subscriberLive || this.resubscribing || this.subscriber.status !== 'ready') {
      this.stalledSince = 0;
      return;
    }
    const now = Date.now();
    this.stalledSince ||= now;
    if (now - this.stalledSince < this.shardRebuildMs) return;
    this.stalledSince = 0;
    void this.onSubscriberReady();
  }
}

/** ioredis' cluster client with one subscriber per shard; seeds from `redis://a:6379,redis://b:6379`. */
export function connectCluster(role: 'publisher' | 'subscriber', urls: string, options: RedisOptions): Cluster {
  const seeds = urls.split(',').map((u) => new URL(u.trim()));
  const first = seeds[0];
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
    enableAutoPipelining: role === 'publisher',
    shardedSubscribers: role === 'subscriber',
    clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    redisOptions,
  };
  return new Cluster(
    seeds.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
    clusterOptions,
  );
}

async function quitQuietly(connection: BusConnection): Promise<void> {
  if (connection.status === 'end') return;
  try {
    if (connection.status === 'ready') await connection.quit();
    else connection.disconnect();
  } catch {
    connection.disconnect();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
