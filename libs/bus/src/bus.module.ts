import { Global, Logger, Module } from '@nestjs/common';
import { BusConfig, CoreConfig, processInstanceId } from '@app/config';
import { InProcessMessageBus } from './in-process-message.bus';
import { MESSAGE_BUS, MessageBus } from './message-bus';
import { RedisMessageBus } from './redis-message.bus';

/** Builds the bus the configuration asks for: Redis between replicas, or in process. */
export function createMessageBus(bus: BusConfig, core: CoreConfig): MessageBus {
  if (!bus.redisUrl) return new InProcessMessageBus();
  // Never another replica's, which would skip our messages as its own echo.
  const instanceId = processInstanceId(core);
  new Logger('BusModule').log(`Redis bus as ${instanceId} (prefix "${bus.keyPrefix}"${bus.cluster ? ', cluster' : ''})`);
  return new RedisMessageBus({
    url: bus.redisUrl,
    cluster: bus.cluster,
    keyPrefix: bus.keyPrefix,
    instanceId,
    commandTimeoutMs: bus.commandTimeoutMs,
    shardedPubSub: bus.shardedPubSub,
    healthCheckIntervalMs: bus.healthCheckMs,
  });
}

/**
 * Provides MESSAGE_BUS: the Redis bus when REDIS_URL is set (several gateway replicas), else the
 * in-process bus (one process). The Redis bus quits its connections on application shutdown.
 */
@Global()
@Module({
  providers: [{ provide: MESSAGE_BUS, useFactory: createMessageBus, inject: [BusConfig, CoreConfig] }],
  exports: [MESSAGE_BUS],
})
export class BusModule {}
