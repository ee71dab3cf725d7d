import { INestApplication, Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { BusModule } from '@app/bus';
import { CommonModule } from '@app/common';
import { AppConfigModule, ChatConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ChatWsAdapter } from './chat/chat-ws.adapter';
import { ChatGateway } from './chat/chat.gateway';
import { ChatService } from './chat/chat.service';
import { UpgradeAuthorizer } from './chat/upgrade-authorizer.service';
import { UserDirectory } from './chat/user-directory.service';
import { DeliveredMarker } from './delivery/delivered-marker.service';
import { DeliveryService } from './delivery/delivery.service';
import { MessageWriter } from './messages/message-writer.service';

/** Friend chat over WebSocket at /chat/{id}. */
@Module({
  imports: [AppConfigModule, CommonModule, DatabaseModule, AuthModule, BusModule],
  providers: [ChatGateway, ChatService, UpgradeAuthorizer, UserDirectory, DeliveryService, DeliveredMarker, MessageWriter],
})
export class ChatGatewayModule {}

/** The gateway needs our adapter on the app's HTTP server (upgrade handling, legacy frames). */
export function useChatAdapter(app: INestApplication): void {
  app.useWebSocketAdapter(new ChatWsAdapter(app, app.get(UpgradeAuthorizer), app.get(ChatConfig).maxFrameBytes));
}
