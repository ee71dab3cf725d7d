import { Module } from '@nestjs/common';
import { ChatPolicyModule } from '@app/accounts';
import { ConversationsModule as ConversationStateModule } from '@app/conversations';
import { ConversationsController } from './conversations.controller';

@Module({
  imports: [ConversationStateModule, ChatPolicyModule],
  controllers: [ConversationsController],
})
export class ConversationsModule {}
