export * from './conversation-cursor';
export * from './conversation.service';
export * from './conversations.module';
