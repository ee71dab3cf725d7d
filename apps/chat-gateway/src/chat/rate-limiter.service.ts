import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RedisConnection, RedisConnectionFactory } from '@app/bus';
import { BusConfig, ChatConfig } from '@app/config';

// INCR and set the expiry in one step, so a crash between the two cannot leave a counter behind.
const INCR_WITH_TTL = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

/**
 * Per-user message rate limit over fixed windows. With Redis the count is shared by all
 * replicas, so reconnecting to another replica gains nothing; without Redis (one process, or
 * while Redis is away) it is counted in this process.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly redis?: RedisConnection;
  private readonly windowMs: number;
  private local = new Map<number, number>();
  private localWindow = 0;

  constructor(
    private readonly config: ChatConfig,
    private readonly bus: BusConfig,
  ) {
    this.windowMs = config.rateLimitWindowSec * 1000;
    if (bus.redisUrl && config.rateLimitCount > 0) {
      // Each counter key carries the user as hash tag, so on a cluster it lives on one shard.
      const connections = new RedisConnectionFactory({ url: bus.redisUrl, cluster: bus.cluster, commandTimeoutMs: bus.commandTimeoutMs });
      this.redis = connections.connect('counter', 'chat-rate-limit');
      this.redis.on('error', (e: Error) => this.logger.debug(`rate-limit Redis: ${e.message}`));
    }
  }

  get limit(): number {
    return this.config.rateLimitCount;
  }

  /** Counts one message of `userId`; false when it is over the limit for the current window. */
  async allow(userId: number): Promise<boolean> {
    if (this.config.rateLimitCount === 0) return true;
    const window = Math.floor(Date.now() / this.windowMs);
    if (this.redis?.status === 'ready') {
      try {
        const key = `${this.bus.keyPrefix}rl:{${userId}}:${window}`;
        const n = Number(await this.redis.eval(INCR_WITH_TTL, 1, key, String(this.windowMs * 2)));
        return n <= this.config.rateLimitCount;
      } catch (e) {
        this.logger.debug(`rate-limit count in Redis failed, counting locally: ${String(e)}`);
      }
    }
    if (window !== this.localWindow) {
      this.local = new Map();
      this.localWindow = window;
    }
    const n = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, n);
    return n <= this.config.rateLimitCount;
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
