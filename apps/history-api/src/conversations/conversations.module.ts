import { Module } from '@nestjs/common';
import { ConversationsModule as ConversationStateModule } from '@app/conversations';
import { ConversationsController } from './conversations.controller';

@Module({
  imports: [ConversationStateModule],
  controllers: [ConversationsController],
})
export class ConversationsModule {}
