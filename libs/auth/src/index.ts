export * from './token.service';
export * from './token-extract';
export * from './known-users.service';
export * from './token.guard';
export * from './auth.module';
