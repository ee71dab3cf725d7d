import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RedisConnection, RedisConnectionFactory } from '@app/bus';
import { BusConfig, ChatConfig } from '@app/config';

// INCR and set the expiry in one step, so a crash between the two cannot leave a counter behind.
const INCR_WITH_TTL = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

type CountingRedis = { chatRateCount(key: string, ttlMs: string): Promise<number> };

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
  /** Users already over the limit in the current window. */
  private over = new Set<number>();
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
      // EVALSHA with the script's digest (EVAL with its text when Redis does not know it yet).
      this.redis.defineCommand('chatRateCount', { numberOfKeys: 1, lua: INCR_WITH_TTL });
    }
  }

  get limit(): number {
    return this.config.rateLimitCount;
  }

  /** Counting in Redis, shared by every replica (until then, and whenever Redis is away, each counts for itself). */
  get countsAcrossReplicas(): boolean {
    return this.redis?.status === 'ready';
  }

  /**
   * Counts one message of `userId`; false when it is over the limit for the current window. A
   * user already over it in this window is refused here without asking Redis again, so a flood
   * costs Redis nothing; the count goes to Redis once per message otherwise (EVALSHA, pipelined
   * with whatever else is sent in the same tick). Answered at once when this process knows (no
   * limit, already over it, counting locally), as a promise while Redis counts, so the caller can
   * go on meanwhile. Never rejects.
   */
  admit(userId: number): boolean | Promise<boolean> {
    if (this.config.rateLimitCount === 0) return true;
    const window = Math.floor(Date.now() / this.windowMs);
    if (window !== this.localWindow) {
      this.local = new Map();
      this.over = new Set();
      this.localWindow = window;
    }
    if (this.over.has(userId)) return false;
    if (this.redis?.status !== 'ready') return this.verdict(userId, window, this.countLocally(userId));
    const key = `${this.bus.keyPrefix}rl:{${userId}}:${window}`;
    return (this.redis as unknown as CountingRedis).chatRateCount(key, String(this.windowMs * 2)).then(
      (n) => this.verdict(userId, window, Number(n)),
      (e: unknown) => {
        this.logger.debug(`rate-limit count in Redis failed, counting locally: ${String(e)}`);
        return this.verdict(userId, window, this.countLocally(userId));
      },
    );
  }

  private countLocally(userId: number): number {
    const n = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, n);
    return n;
  }

  /** `n`: the user's count in `window`; an answer that comes after the window ended marks nothing. */
  private verdict(userId: number, window: number, n: number): boolean {
    if (n <= this.config.rateLimitCount) return true;
    if (window === this.localWindow) this.over.add(userId);
    return false;
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
