export * from './data-source-options';
export * from './sql-dialect';
export * from './database.module';
export * from './user.repository';
export * from './message.repository';
export * from './history.repository';
