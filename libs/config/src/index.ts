export * from './load-config';
export * from './core.config';
export * from './chat.config';
export * from './history.config';
export * from './upload.config';
export * from './bus.config';
export * from './config.module';
export * from './dev-secret';
