import { Module } from '@nestjs/common';
import { ConversationService } from './conversation.service';

/** Conversation state for modern clients (CONTRACT section 4): read positions, unread, the list. */
@Module({
  providers: [ConversationService],
  exports: [ConversationService],
})
export class ConversationsModule {}
