import { Global, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BusConfig } from '@app/config';
import { RedisConnection, RedisConnectionFactory } from './redis-connection.factory';

/**
 * What replicas cache about accounts and must forget when it changes: a user's token epoch (a
 * password change) and how two users stand to each other (follow, block).
 */
export type AccountChange = { kind: 'password'; userId: number } | { kind: 'relation'; users: [number, number] };

/** Called for every change, local or from another replica; `null` means "forget everything" (the feed was cut off). */
export type AccountChangeHandler = (change: AccountChange | null) => void;

/**
 * One Redis channel every replica listens to (in process without REDIS_URL). Changes are rare
 * (a block, a follow, a password), so one channel for all is enough. A replica that loses the
 * subscription tells its handlers to forget everything once it is back, as it may have missed
 * changes meanwhile; their caches' lifetimes bound the staleness while Redis is away.
 */
@Injectable()
export class AccountChanges implements OnApplicationShutdown {
  private readonly logger = new Logger(AccountChanges.name);
  private readonly handlers: AccountChangeHandler[] = [];
  private readonly channel: string;
  private readonly origin = randomUUID();
  private publisher?: RedisConnection;
  private subscriber?: RedisConnection;

  constructor(private readonly config: BusConfig) {
    this.channel = `${config.keyPrefix}account-changes`;
  }

  onChange(handler: AccountChangeHandler): void {
    this.handlers.push(handler);
    this.connect();
  }

  /** Tells this replica at once and the others through Redis; never rejects. */
  async publish(change: AccountChange): Promise<void> {
    this.emit(change);
    this.connect();
    if (this.publisher?.status !== 'ready') return;
    await this.publisher.publish(this.channel, JSON.stringify({ ...change, from: this.origin })).catch((e: unknown) => {
      this.logger.warn(`account change not published (other replicas forget it when their cache expires): ${String(e)}`);
    });
  }

  private emit(change: AccountChange | null): void {
    for (const handler of this.handlers) handler(change);
  }

  /** Connects on first use, so apps that never publish or listen open no connection. */
  private connect(): void {
    if (this.publisher || !this.config.redisUrl) return;
    const factory = new RedisConnectionFactory({ url: this.config.redisUrl, cluster: this.config.cluster, commandTimeoutMs: this.config.commandTimeoutMs });
    this.publisher = factory.connect('publisher', 'chat-account-changes');
    this.publisher.on('error', (e: Error) => this.logger.debug(`account changes Redis: ${e.message}`));
    const subscriber = factory.connect('subscriber', 'chat-account-changes-sub');
    this.subscriber = subscriber;
    subscriber.on('error', (e: Error) => this.logger.debug(`account changes Redis: ${e.message}`));
    let subscribedBefore = false;
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(
        () => {
          if (subscribedBefore) this.emit(null);
          subscribedBefore = true;
        },
        (e: unknown) => this.logger.warn(`account changes: subscribe failed: ${String(e)}`),
      );
    });
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        const parsed = JSON.parse(text) as AccountChange & { from?: string };
        // Our own publish was handled when it was made.
        if (parsed.from === this.origin) return;
        this.emit(parsed.kind === 'password' ? { kind: 'password', userId: Number(parsed.userId) } : { kind: 'relation', users: [Number(parsed.users[0]), Number(parsed.users[1])] });
      } catch {
        this.logger.warn('account changes: unreadable message ignored');
      }
    });
  }

  onApplicationShutdown(): void {
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }
}

/** AccountChanges for every module (the auth guard, the accounts paths, the gateway's policy). */
@Global()
@Module({ providers: [AccountChanges], exports: [AccountChanges] })
export class AccountChangesModule {}
