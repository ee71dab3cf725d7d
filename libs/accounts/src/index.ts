export * from './user-accounts.service';
export * from './accounts.module';
