import { bootApp } from '@app/common';
import { ConfigError, CoreConfig, loadConfig, PushConfig } from '@app/config';
import { PushWorkerModule } from './push-worker.module';
import { checkDatabaseAtBoot } from '@app/database';

// The worker verifies no token: it runs without JWT_SECRET.
CoreConfig.requireTokenSecret = false;

try {
  if (!loadConfig(PushConfig).enabled) {
    process.stderr.write('push-worker cannot start: PUSH_PROVIDER is unset (push is off). Set PUSH_PROVIDER=webhook or gorush, with its settings (docs/push.md).\n');
    process.exit(1);
  }
} catch (e) {
  // Reported by the boot below with every other problem.
  if (!(e instanceof ConfigError)) throw e;
}

void bootApp(PushWorkerModule, {
  name: 'push-worker',
  prepare: checkDatabaseAtBoot,
  configs: [PushConfig],
  banner: () => [`push: sending due notifications with ${process.env.PUSH_PROVIDER}`],
});
