import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RedisConnection, RedisConnectionFactory } from '@app/bus';
import { BusConfig, ChatConfig } from '@app/config';

/** A method of the store limiters that the package's typings leave out. */
type InMemoryBlocks = { getInMemoryBlockMsBeforeExpire(rlKey: string): number };

/**
 * Per-user message rate limit (rate-limiter-flexible): CHAT_RATE_LIMIT_COUNT messages per
 * CHAT_RATE_LIMIT_WINDOW_SEC, the window starting at the user's first message. With Redis the
 * count is shared by all replicas (RateLimiterRedis: one atomic INCR with expiry per message), so
 * reconnecting to another replica gains nothing; while Redis is away (not ready, or a command
 * fails) its in-memory insurance limiter counts in this process; without Redis, only that.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly redis?: RedisConnection;
  private readonly limiter?: RateLimiterAbstract;
  private readonly shared?: RateLimiterRedis;

  constructor(
    private readonly config: ChatConfig,
    bus: BusConfig,
  ) {
    const points = config.rateLimitCount;
    if (points === 0) return;
    const duration = config.rateLimitWindowSec;
    const local = new RateLimiterMemory({ points, duration });
    if (!bus.redisUrl) {
      this.limiter = local;
      return;
    }
    const connections = new RedisConnectionFactory({ url: bus.redisUrl, cluster: bus.cluster, commandTimeoutMs: bus.commandTimeoutMs });
    this.redis = connections.connect('counter', 'chat-rate-limit');
    this.redis.on('error', (e: Error) => this.logger.debug(`rate-limit Redis: ${e.message}`));
    this.limiter = this.shared = new RateLimiterRedis({
      // ioredis (Redis or Cluster): the library's default client; it defines its counting script
      // on the client (EVALSHA, pipelined with whatever else is sent in the same tick).
      storeClient: this.redis,
      // Keys `<prefix>rl:{<user>}`: the user as hash tag, so on a cluster a counter lives on one shard.
      keyPrefix: `${bus.keyPrefix}rl`,
      points,
      duration,
      // A user over the limit is refused in this process until the window ends: a flood costs Redis nothing.
      inMemoryBlockOnConsumed: points + 1,
      rejectIfRedisNotReady: true,
      insuranceLimiter: local,
    });
  }

  get limit(): number {
    return this.config.rateLimitCount;
  }

  /** Counting in Redis, shared by every replica (until then, and whenever Redis is away, each counts for itself). */
  get countsAcrossReplicas(): boolean {
    return this.redis?.status === 'ready';
  }

  /**
   * Counts one message of `userId`; false when it is over the limit for its window. Answered at
   * once when this process knows (no limit, or the user is already over it), else as a promise,
   * so the caller can go on while Redis counts (the writer overlaps it with the batch wait).
   * Never rejects.
   */
  admit(userId: number): boolean | Promise<boolean> {
    if (!this.limiter) return true;
    const key = `{${userId}}`;
    if (this.shared && (this.shared as unknown as InMemoryBlocks).getInMemoryBlockMsBeforeExpire(this.shared.getKey(key)) > 0) return false;
    return this.limiter.consume(key).then(
      () => true,
      (e: unknown) => {
        if (e instanceof RateLimiterRes) return false;
        // Redis failed and so did the insurance limiter: never refuse for that.
        this.logger.debug(`rate-limit count failed, admitted: ${String(e)}`);
        return true;
      },
    );
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
