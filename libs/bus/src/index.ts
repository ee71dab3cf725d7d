export * from './message-bus';
export * from './in-process-message.bus';
export * from './redis-connection.factory';
export * from './redis-message.bus';
export * from './bus.module';
export * from './account-changes';
