import { INestApplication, Module } from '@nestjs/common';
import { ChatPolicyModule } from '@app/accounts';
import { AuthModule } from '@app/auth';
import { BusModule } from '@app/bus';
import { CommonModule } from '@app/common';
import { AppConfigModule, ChatConfig } from '@app/config';
import { ConversationsModule } from '@app/conversations';
import { DatabaseModule, MessageStore } from '@app/database';
import { OpsModule } from '@app/ops';
import { ChatGateway } from './transport/chat.gateway';
import { ChatWsAdapter } from './transport/chat-ws.adapter';
import { ConnectionManager } from './transport/connection-manager.service';
import { AccountCheck } from './transport/account-check.service';
import { PingLoop } from './transport/ping-loop.service';
import { UpgradeAuthorizer } from './transport/upgrade-authorizer.service';
import { BusResync } from './delivery/bus-resync';
import { Confirmations } from './delivery/confirmations.service';
import { ConversationFlow } from './delivery/conversation-flow';
import { DeliveredPositions } from './delivery/delivered-positions.service';
import { DeliveryService } from './delivery/delivery.service';
import { SocketRegistry } from './delivery/socket-registry';
import { UserSubscriptions } from './delivery/user-subscriptions';
import { FrameDispatcher } from './handlers/frame-dispatcher';
import { ReadHandler } from './handlers/read.handler';
import { SendMessageHandler } from './handlers/send-message.handler';
import { TypingHandler } from './handlers/typing.handler';
import { GracefulShutdown } from './lifecycle/graceful-shutdown.service';
import { ShutdownState } from './shared/shutdown-state';
import { MessageWriter } from './sending/message-writer.service';
import { RateLimiter } from './sending/rate-limiter.service';
import { SendService } from './sending/send.service';
import { ChatMetrics } from './shared/chat-metrics.service';
import { ChatReadiness } from './lifecycle/chat-readiness';
import { UserDirectory } from './shared/user-directory.service';

/**
 * Friend chat over WebSocket at /chat/{id}. The folders are its parts: connection (upgrade,
 * sockets, ingress, pings), frames (the wire codec), handlers (one per frame type), messages
 * (accepting and storing sends), delivery (putting stored messages on sockets, in order, within
 * each socket's budget, and confirming what they received), lifecycle (shutdown), ops.
 */
@Module({
  imports: [AppConfigModule, CommonModule, OpsModule, DatabaseModule, AuthModule, BusModule, ConversationsModule, ChatPolicyModule],
  providers: [
    ChatGateway,
    ConnectionManager,
    UpgradeAuthorizer,
    PingLoop,
    AccountCheck,
    FrameDispatcher,
    SendMessageHandler,
    ReadHandler,
    TypingHandler,
    SendService,
    MessageWriter,
    MessageStore,
    RateLimiter,
    UserDirectory,
    DeliveryService,
    ConversationFlow,
    BusResync,
    SocketRegistry,
    UserSubscriptions,
    Confirmations,
    DeliveredPositions,
    ShutdownState,
    GracefulShutdown,
    ChatMetrics,
    ChatReadiness,
  ],
})
export class ChatGatewayModule {}

/** The gateway needs our adapter on the app's HTTP server (upgrade handling, legacy frames). */
export function useChatAdapter(app: INestApplication): void {
  app.useWebSocketAdapter(new ChatWsAdapter(app, app.get(UpgradeAuthorizer), app.get(ChatConfig).maxFrameBytes));
}
