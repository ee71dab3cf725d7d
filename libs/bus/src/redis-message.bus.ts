import { randomUUID } from 'node:crypto';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { BusEnvelopeCodec } from './bus-envelope';
import { BusEvent, BusEventHandler, MessageBus } from './message-bus';
import { RedisConnection, RedisConnectionFactory, RedisOpener } from './redis-connection.factory';
import {
  beginResubscription,
  closedSubscriberState,
  heldWhileDown,
  initialSubscriberState,
  isCurrentAttempt,
  resubscribed,
  resubscriptionFailed,
  sameGeneration,
  SubscriberState,
  subscriptionsLost,
  watchStall,
} from './subscriber-state';

export type ShardedPubSubMode = 'auto' | 'on' | 'off';

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
  /** Opens a connection from the factory's options instead of ioredis; unit specs hand in a fake. */
  connect?: RedisOpener;
}

/** Thrown (fast) while Redis cannot take the command; the caller keeps working locally. */
export class BusUnavailableError extends Error {
  constructor(reason: string) {
    super(`Redis bus unavailable: ${reason}`);
    this.name = 'BusUnavailableError';
  }
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
 *
 * The parts: the wire format (BusEnvelopeCodec), the connections (RedisConnectionFactory) and the
 * subscriber's life (SubscriberState); this class wires them to ioredis' events.
 */
export class RedisMessageBus implements MessageBus, OnApplicationShutdown {
  private readonly logger = new Logger(RedisMessageBus.name);
  private readonly codec: BusEnvelopeCodec;
  private readonly connections: RedisConnectionFactory;
  private readonly publisher: RedisConnection;
  // Replaced as a whole when a cluster client's shard subscribers wedge (see restartSubscriber).
  private subscriber: RedisConnection;
  private state: SubscriberState = initialSubscriberState;
  private readonly held = new Set<number>();
  private readonly missed = new Set<number>();
  private readonly resyncHandlers: Array<() => void> = [];
  private handler: BusEventHandler = () => undefined;
  private confirmHandler: (userId: number) => Promise<void> = () => Promise.resolve();
  /** Open confirm requests of this replica: who has answered, and a check run on each answer. */
  private readonly asking = new Map<string, { answered: Set<string>; check: () => void }>();
  private mode: PubSubMode | undefined;
  private resyncScheduled = false;
  // An outage was logged; the next live state logs the way back.
  private outage = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private reconnectCount = 0;

  constructor(private readonly options: RedisMessageBusOptions) {
    this.codec = new BusEnvelopeCodec(options.keyPrefix, options.instanceId);
    this.connections = new RedisConnectionFactory(options, options.connect);
    // A cluster has no broadcast-free classic pub/sub: PUBLISH goes to every node.
    if (options.cluster) this.mode = 'sharded';
    this.publisher = this.connections.connect('publisher', `${options.instanceId}:pub`);
    this.publisher.on('ready', () => void this.onPublisherReady());
    this.publisher.on('close', () => this.noteOutage('publisher connection closed'));
    // ioredis emits 'error' on every failed reconnect; the outage is logged once instead.
    this.publisher.on('error', (err: Error) => this.noteOutage(err.message));

    this.subscriber = this.openSubscriber();

    if (options.healthCheckIntervalMs > 0) {
      this.healthTimer = setInterval(() => void this.healthCheck(), options.healthCheckIntervalMs);
      this.healthTimer.unref();
    }
  }

  /** Connects a subscriber client; events of a client that has since been replaced are ignored. */
  private openSubscriber(): RedisConnection {
    // Subscriptions are restored here, not by ioredis, so we know when they are all confirmed.
    const sub = this.connections.connect('subscriber', `${this.options.instanceId}:sub`);
    const current = () => sub === this.subscriber && !this.closed;
    sub.on('ready', () => {
      if (current() && !this.live) void this.onSubscriberReady();
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
        if (current() && shardSubscriber && this.live) this.onSubscriberLost();
      });
      // Also sent while the client is still connecting (for an empty slot map): that one is
      // followed by 'ready', which does the work.
      sub.on('subscribersReady', () => {
        if (current() && !this.live && sub.status === 'ready') void this.onSubscriberReady();
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
    return this.codec.channelFor(userId);
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
    const payload = this.codec.encode(event);
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
      this.state = heldWhileDown(this.state);
      throw new BusUnavailableError(`subscriber ${this.subscriber.status}`);
    }
    const before = this.state;
    try {
      await this.subscribeChannels(mode, [this.channelFor(userId)]);
    } catch (err) {
      // We no longer know what the server holds for us: rebuild the connection, which
      // re-subscribes every held user and fires onResync.
      if (sameGeneration(before, this.state) && this.subscriber.status === 'ready') {
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

  onConfirmRequest(handler: (userId: number) => Promise<void>): void {
    this.confirmHandler = handler;
  }

  /**
   * The request goes on the user's channel; PUBLISH answers how many subscribers got it (this
   * replica among them, whose own request coming back counts as its answer), so the asker knows
   * how many answers to wait for without a registry of who holds whom.
   */
  async confirmPeers(userId: number, timeoutMs: number): Promise<void> {
    if (this.closed || !this.isLive()) return;
    const id = randomUUID();
    const answered = new Set<string>();
    let expected = Number.POSITIVE_INFINITY;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      const check = () => {
        if (answered.size >= expected) resolve();
      };
      this.asking.set(id, { answered, check });
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    try {
      const sent = this.sendCounted(this.channelFor(userId), this.codec.encodeConfirmRequest(id)).then((receivers) => {
        expected = receivers;
        this.asking.get(id)?.check();
      });
      await Promise.race([done, sent.then(() => done)]);
    } catch (err) {
      this.logger.debug(`confirm request for user ${userId} failed: ${errorText(err)}`);
    } finally {
      clearTimeout(timer);
      this.asking.delete(id);
    }
  }

  private async answerConfirm(userId: number, id: string): Promise<void> {
    try {
      await this.confirmHandler(userId);
    } catch (err) {
      this.logger.warn(`confirming the sockets of user ${userId} for a peer failed: ${errorText(err)}`);
    }
    await this.send(this.channelFor(userId), this.codec.encodeConfirmed(id)).catch(() => undefined);
  }

  isLive(): boolean {
    return this.live && this.subscriber.status === 'ready' && this.publisher.status === 'ready';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.state = closedSubscriberState;
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

  /** Publishes and answers how many subscribers received it. */
  private async sendCounted(channel: string, payload: string): Promise<number> {
    const mode = this.mode;
    if (this.publisher.status !== 'ready' || !mode) throw new BusUnavailableError(`publisher ${this.publisher.status}`);
    const receivers: unknown = await (mode === 'sharded' ? this.publisher.spublish(channel, payload) : this.publisher.publish(channel, payload));
    return Number(receivers);
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

  private get closed(): boolean {
    return this.state.kind === 'closed';
  }

  private get live(): boolean {
    return this.state.kind === 'live';
  }

  private async onSubscriberReady(): Promise<void> {
    const attempt = beginResubscription(this.state);
    if (attempt.kind !== 'resubscribing') return;
    this.state = attempt;
    const { generation } = attempt;
    try {
      const mode = await this.detectMode(this.subscriber);
      const users = [...this.held];
      for (let i = 0; i < users.length; i += RESUBSCRIBE_BATCH) {
        if (!isCurrentAttempt(this.state, generation)) return;
        await this.subscribeChannels(
          mode,
          users.slice(i, i + RESUBSCRIBE_BATCH).map((userId) => this.channelFor(userId)),
        );
      }
      // Confirmed on a client that is not (or no longer) ready: its 'ready' starts over.
      const done = resubscribed(this.state, generation, this.subscriber.status === 'ready');
      this.state = done.state;
      if (!done.wentLive) return;
      if (done.wentLive.reconnected) this.reconnectCount += 1;
      if (this.outage) {
        this.outage = false;
        this.logger.log(`Redis bus back (${mode} pub/sub, ${users.length} users re-subscribed)`);
      } else {
        this.logger.log(`Redis bus live (${mode} pub/sub)`);
      }
      // Anything published while we were away is gone from pub/sub; users held before this
      // moment may have missed messages, so holders re-read from the database.
      if (done.wentLive.resync) this.fireResync();
    } catch (err) {
      const failed = resubscriptionFailed(this.state, generation);
      this.state = failed.state;
      if (failed.restart) this.restartSubscriber(`re-subscription failed (${errorText(err)})`);
    }
  }

  private onSubscriberLost(): void {
    this.state = subscriptionsLost(this.state, this.held.size);
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
    const hint = this.codec.encodeResyncHint();
    await Promise.all(
      users.map((userId) => this.send(this.channelFor(userId), hint).catch(() => this.rememberMissed(userId))),
    );
  }

  private async detectMode(connection: RedisConnection): Promise<PubSubMode> {
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
    const userId = this.codec.userOf(channel);
    if (userId === undefined || !this.held.has(userId)) return;
    const decoded = this.codec.decode(payload);
    switch (decoded.kind) {
      case 'event':
        this.deliver(userId, decoded.event);
        return;
      case 'resync':
        this.fireResync();
        return;
      case 'confirm':
        void this.answerConfirm(userId, decoded.id);
        return;
      case 'confirmed': {
        const request = this.asking.get(decoded.id);
        if (!request) return; // another replica's request, or answered too late
        request.answered.add(decoded.from);
        request.check();
        return;
      }
      case 'garbage':
        this.logger.warn(`dropped a bus payload on ${channel}: ${decoded.reason}`);
        return;
      case 'echo': // our own publish (or hint), already delivered locally
      case 'unknown': // a later release's addition
        return;
    }
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
  private async pingError(connection: RedisConnection): Promise<string | undefined> {
    if (this.closed || connection.status !== 'ready') return undefined;
    try {
      await connection.ping();
      return undefined;
    } catch (err) {
      return this.closed || connection.status !== 'ready' ? undefined : errorText(err);
    }
  }

  /**
   * Connected but not live for a while, with no re-subscription running (see watchStall): try
   * one ourselves; it either succeeds or restarts the subscriber.
   */
  private watchClusterSubscriber(): void {
    if (!this.options.cluster) return;
    const watched = watchStall(this.state, this.subscriber.status === 'ready', Date.now(), this.shardRebuildMs);
    this.state = watched.state;
    if (watched.resubscribe) void this.onSubscriberReady();
  }
}

async function quitQuietly(connection: RedisConnection): Promise<void> {
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
