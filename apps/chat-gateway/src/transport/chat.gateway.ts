import { OnGatewayConnection, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocketServer } from 'ws';
import type { AuthedRequest } from './chat-ws.adapter';
import { ChatWs, ConnectionManager } from './connection-manager.service';
import { PingLoop } from './ping-loop.service';
import { CHAT_PATH } from './upgrade-authorizer.service';

/**
 * The WebSocket edge of friend chat at /chat/{id}: Nest's lifecycle hooks, handed on. Upgrades
 * are checked before a socket exists (UpgradeAuthorizer, in the adapter); each accepted socket
 * gets its ingress and delivery (ConnectionManager); frames go to the FrameDispatcher; shutdown
 * is GracefulShutdown's.
 */
@WebSocketGateway({ path: CHAT_PATH })
export class ChatGateway implements OnGatewayInit, OnGatewayConnection {
  constructor(
    private readonly connections: ConnectionManager,
    private readonly pings: PingLoop,
  ) {}

  afterInit(server: WebSocketServer): void {
    this.pings.start(server);
  }

  handleConnection(ws: ChatWs, req: AuthedRequest): void {
    this.connections.open(ws, req);
  }
}
