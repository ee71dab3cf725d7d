import { INestApplication, Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { BusModule } from '@app/bus';
import { CommonModule } from '@app/common';
import { AppConfigModule, ChatConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { OpsModule } from '@app/ops';
import { ChatWsAdapter } from './chat/chat-ws.adapter';
import { ChatGateway } from './chat/chat.gateway';
import { ChatService } from './chat/chat.service';
import { UpgradeAuthorizer } from './chat/upgrade-authorizer.service';
import { RateLimiter } from './chat/rate-limiter.service';
import { UserDirectory } from './chat/user-directory.service';
import { DeliveredMarker } from './delivery/delivered-marker.service';
import { DeliveryService } from './delivery/delivery.service';
import { MessageWriter } from './messages/message-writer.service';
import { ChatMetrics } from './ops/chat-metrics.service';

/** Friend chat over WebSocket at /chat/{id}. */
@Module({
  imports: [AppConfigModule, CommonModule, OpsModule, DatabaseModule, AuthModule, BusModule],
  providers: [
    ChatGateway,
    ChatService,
    UpgradeAuthorizer,
    UserDirectory,
    RateLimiter,
    DeliveryService,
    DeliveredMarker,
    MessageWriter,
    ChatMetrics,
  ],
})
export class ChatGatewayModule {}

/** The gateway needs our adapter on the app's HTTP server (upgrade handling, legacy frames). */
export function useChatAdapter(app: INestApplication): void {
  app.useWebSocketAdapter(new ChatWsAdapter(app, app.get(UpgradeAuthorizer), app.get(ChatConfig).maxFrameBytes));
}
