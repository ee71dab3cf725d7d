import { Global, Module } from '@nestjs/common';
import { InProcessMessageBus } from './in-process-message.bus';
import { MESSAGE_BUS } from './message-bus';

/** Provides MESSAGE_BUS: in-process for a single process (the Redis bus plugs in here). */
@Global()
@Module({
  providers: [{ provide: MESSAGE_BUS, useClass: InProcessMessageBus }],
  exports: [MESSAGE_BUS],
})
export class BusModule {}
