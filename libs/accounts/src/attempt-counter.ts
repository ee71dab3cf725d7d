import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RedisConnection, RedisConnectionFactory } from '@app/bus';
import { BusConfig } from '@app/config';

// The gateway's rate limiter's counting step (INCR and the expiry in one script, so a crash
// between them cannot leave a counter behind), for attempts of any kind.
const INCR_WITH_TTL = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

type CountingRedis = { accountAttemptCount(key: string, ttlMs: string): Promise<number> };

/**
 * Attempts per key over fixed windows (sign-in per phone and per address, codes per phone and
 * address), shared by all replicas through Redis, the way the gateway counts messages; in this
 * process without Redis or while it is away. `count` is taken before the attempt is judged, so
 * concurrent attempts cannot slip past the limit together; `refund` gives back one that did not
 * count (a successful sign-in).
 */
@Injectable()
export class AttemptCounter implements OnApplicationShutdown {
  private readonly logger = new Logger(AttemptCounter.name);
  private redis?: RedisConnection;
  private local = new Map<string, number>();
  private firstReady?: Promise<void>;

  constructor(private readonly bus: BusConfig) {}

  /** The attempt's number in the current window of `windowSec`, this one included. */
  async count(name: string, windowSec: number): Promise<number> {
    const key = this.key(name, windowSec);
    const redis = await this.connection();
    if (redis?.status === 'ready') {
      try {
        return Number(await (redis as unknown as CountingRedis).accountAttemptCount(key, String(windowSec * 2000)));
      } catch (e) {
        this.logger.debug(`attempt count in Redis failed, counting locally: ${String(e)}`);
      }
    }
    this.sweep();
    const n = (this.local.get(key) ?? 0) + 1;
    this.local.set(key, n);
    return n;
  }

  async refund(name: string, windowSec: number): Promise<void> {
    const key = this.key(name, windowSec);
    const redis = await this.connection();
    if (redis?.status === 'ready') {
      await redis.decr(key).catch(() => undefined);
      return;
    }
    const n = this.local.get(key);
    if (n) this.local.set(key, n - 1);
  }

  private key(name: string, windowSec: number): string {
    const window = Math.floor(Date.now() / (windowSec * 1000));
    return `${this.bus.keyPrefix}attempts:{${name}}:${windowSec}:${window}`;
  }

  /** Connects on first use; the first attempts wait (bounded) for it, so they count across replicas too. */
  private async connection(): Promise<RedisConnection | undefined> {
    if (!this.redis && this.bus.redisUrl) {
      const factory = new RedisConnectionFactory({ url: this.bus.redisUrl, cluster: this.bus.cluster, commandTimeoutMs: this.bus.commandTimeoutMs });
      const redis = factory.connect('counter', 'chat-account-attempts');
      redis.on('error', (e: Error) => this.logger.debug(`attempts Redis: ${e.message}`));
      redis.defineCommand('accountAttemptCount', { numberOfKeys: 1, lua: INCR_WITH_TTL });
      this.redis = redis;
      this.firstReady = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(this.bus.commandTimeoutMs, 2000));
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.firstReady;
    return this.redis;
  }

  /** Local counters of past windows go (they are keyed by window). */
  private sweep(): void {
    if (this.local.size < 10_000) return;
    this.local = new Map();
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
