export * from './domain-error';
export * from './legacy-envelope';
export * from './legacy-envelope.filter';
export * from './chat-clock';
export * from './common.module';
export * from './bootstrap';
export * from './openapi';
export * from './ttl-cache';
