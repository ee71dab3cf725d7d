import { Global, Module } from '@nestjs/common';
import { CoreConfig } from '@app/config';
import { ChatClock } from './chat-clock';

@Global()
@Module({
  providers: [{ provide: ChatClock, useFactory: (c: CoreConfig) => new ChatClock(c.timezone), inject: [CoreConfig] }],
  exports: [ChatClock],
})
export class CommonModule {}
