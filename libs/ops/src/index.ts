export * from './readiness.registry';
export * from './ops.module';
export * from './logging';
