import { DynamicModule, Module } from '@nestjs/common';
import { ConfigError, CoreConfig, loadConfig, PushConfig } from '@app/config';
import { ChatGatewayModule } from '../../chat-gateway/src/chat-gateway.module';
import { HistoryApiModule } from '../../history-api/src/history-api.module';
import { PushWorkerModule } from '../../push-worker/src/push-worker.module';
import { UploadApiModule } from '../../upload-api/src/upload-api.module';
import { DevToolsModule } from './dev/dev-tools.module';
import { WebClientModule } from './web/web-client.module';

/**
 * All three apps in one process on one port, and the web client at `/`: the embedded default
 * for development and small installs. Deployments run each app alone (apps/<name>/src/main.ts).
 */
@Module({ imports: [ChatGatewayModule, HistoryApiModule, UploadApiModule, WebClientModule] })
export class SuiteModule {
  /**
   * The suite for this environment: with the development endpoints (/dev/...) when
   * CHAT_DEV_MODE=true, without them (they do not exist at all) otherwise. Decided here, before
   * Nest reads the module graph, because a module cannot drop its own controllers later. The
   * push worker runs inside too when PUSH_PROVIDER is set.
   */
  static forEnvironment(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: SuiteModule,
      imports: [...(devMode(env) ? [DevToolsModule] : []), ...(pushOn(env) ? [PushWorkerModule] : [])],
    };
  }
}

function devMode(env: NodeJS.ProcessEnv): boolean {
  return readOr(() => loadConfig(CoreConfig, env).devMode);
}

function pushOn(env: NodeJS.ProcessEnv): boolean {
  return readOr(() => loadConfig(PushConfig, env).enabled);
}

function readOr(read: () => boolean): boolean {
  try {
    return read();
  } catch (e) {
    // A bad environment is reported by the boot, with every problem at once.
    if (e instanceof ConfigError) return false;
    throw e;
  }
}
