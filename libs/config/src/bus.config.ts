import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Env, ToBool, ToInt } from './env-decorators';
import { ConfigCheck } from './load-config';

/**
 * How gateway replicas reach each other. Without REDIS_URL the suite runs as one process and
 * messages travel in process; with it, through Redis (one channel per connected user).
 */
export class BusConfig implements ConfigCheck {
  @Env('REDIS_URL') @IsOptional()
  @Matches(/^rediss?:\/\/[^,\s]+(,\s*rediss?:\/\/[^,\s]+)*$/, {
    message:
      'REDIS_URL must look like redis://[:password@]host:6379[/db] (or rediss:// for TLS; with REDIS_CLUSTER=true, ' +
      'seed nodes separated by commas); leave it unset for a single process',
  })
  redisUrl?: string;

  /** REDIS_URL names Redis Cluster nodes: channels then live on the shard owning each user's slot. */
  @Env('REDIS_CLUSTER') @ToBool()
  @IsBoolean({ message: 'REDIS_CLUSTER must be true or false' })
  cluster: boolean = false;

  /** Prepended to every channel, so several deployments can share one Redis. */
  @Env('REDIS_KEY_PREFIX') @IsString()
  @Matches(/^[^\s{}]*$/, { message: 'REDIS_KEY_PREFIX must not contain spaces or braces (braces are the cluster hash tag), e.g. chat:' })
  keyPrefix: string = 'chat:';

  /** `auto` uses sharded pub/sub (SSUBSCRIBE/SPUBLISH) when the server has it (Redis >= 7). */
  @Env('REDIS_SHARDED_PUBSUB')
  @IsIn(['auto', 'on', 'off'], { message: 'REDIS_SHARDED_PUBSUB must be auto, on or off' })
  shardedPubSub: 'auto' | 'on' | 'off' = 'auto';

  /** Longest a publish or subscribe may wait for Redis before the gateway carries on without it. */
  @Env('REDIS_COMMAND_TIMEOUT_MS') @ToInt()
  @IsInt({ message: 'REDIS_COMMAND_TIMEOUT_MS must be a whole number of milliseconds, e.g. 1000' })
  @Min(50, { message: 'REDIS_COMMAND_TIMEOUT_MS must be at least 50' })
  @Max(60_000, { message: 'REDIS_COMMAND_TIMEOUT_MS must be at most 60000' })
  commandTimeoutMs: number = 1000;

  /** Both Redis connections are pinged this often; a silent one is rebuilt (0 turns it off). */
  @Env('REDIS_HEALTH_CHECK_MS') @ToInt()
  @IsInt({ message: 'REDIS_HEALTH_CHECK_MS must be a whole number of milliseconds, e.g. 5000 (0 = off)' })
  @Min(0, { message: 'REDIS_HEALTH_CHECK_MS must be 0 (off) or more' })
  healthCheckMs: number = 5000;

  checkConfig(): string[] {
    const problems: string[] = [];
    if (this.redisUrl?.includes(',') && !this.cluster) {
      problems.push('REDIS_URL lists several servers: set REDIS_CLUSTER=true for a Redis Cluster, or give one URL');
    }
    if (this.cluster && this.shardedPubSub === 'off') {
      problems.push('REDIS_SHARDED_PUBSUB=off cannot be used with REDIS_CLUSTER=true: classic pub/sub reaches every node of a cluster');
    }
    return problems;
  }

  get enabled(): boolean {
    return !!this.redisUrl;
  }
}
