export * from './token.service';
export * from './token-extract';
export * from './token.guard';
export * from './auth.module';
