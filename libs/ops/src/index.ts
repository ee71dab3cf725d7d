export * from './readiness.registry';
export * from './ops.module';
export * from './ops-access.service';
export * from './ops-listener.service';
export * from './ops-request';
export * from './logging';
