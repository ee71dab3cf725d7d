import { Module } from '@nestjs/common';
import { ChatGatewayModule } from '../../chat-gateway/src/chat-gateway.module';
import { HistoryApiModule } from '../../history-api/src/history-api.module';
import { UploadApiModule } from '../../upload-api/src/upload-api.module';

/**
 * All three apps in one process on one port: the embedded default for development and small
 * installs. Deployments run each app alone (apps/<name>/src/main.ts).
 */
@Module({ imports: [ChatGatewayModule, HistoryApiModule, UploadApiModule] })
export class SuiteModule {}
