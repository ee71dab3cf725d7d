export * from './user-accounts.service';
export * from './account.service';
export * from './friend.service';
export * from './password-hasher';
export * from './attempt-counter';
export * from './chat-policy';
export * from './sms-sender';
export * from './accounts.module';
