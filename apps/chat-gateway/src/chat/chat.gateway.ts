import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { hostname } from 'node:os';
import type { WebSocket, WebSocketServer } from 'ws';
import { ChatClock, DomainError, ErrorCode } from '@app/common';
import { ChatConfig, CoreConfig } from '@app/config';
import { DeliveryService } from '../delivery/delivery.service';
import { ackFrame, binaryFrameError, errorFrame, FrameError, parseFrame, unknownRecipientFrame } from './chat-frames';
import { AuthedRequest, FRAME_EVENT, IncomingFrame } from './chat-ws.adapter';
import { ChatService } from './chat.service';
import { CHAT_PATH, UpgradeAuthorizer } from './upgrade-authorizer.service';
import { WsChatSocket } from './ws-chat-socket';

type ChatWs = WebSocket & { chat?: WsChatSocket };

/**
 * The WebSocket edge of friend chat: turns frames into ChatService calls and results into
 * frames. Refusals answer with the legacy error frame and leave the socket open.
 */
@WebSocketGateway({ path: CHAT_PATH })
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown {
  private readonly logger = new Logger(ChatGateway.name);
  private readonly instanceId: string;
  private server?: WebSocketServer;
  private sequence = 0;
  private pingTimer?: NodeJS.Timeout;

  constructor(
    private readonly chat: ChatService,
    private readonly delivery: DeliveryService,
    private readonly authorizer: UpgradeAuthorizer,
    private readonly clock: ChatClock,
    private readonly config: ChatConfig,
    core: CoreConfig,
  ) {
    this.instanceId = core.instanceId ?? `${hostname()}-${process.pid}`;
  }

  afterInit(server: WebSocketServer): void {
    this.server = server;
    this.pingTimer = setInterval(() => this.pingAll(), this.config.pingIntervalMs);
    this.pingTimer.unref();
  }

  handleConnection(ws: ChatWs, req: AuthedRequest): void {
    const userId = req.chatUserId;
    if (!userId) {
      ws.close(1008, 'unauthenticated');
      return;
    }
    const socket = new WsChatSocket(ws, `${this.instanceId}/${++this.sequence}`, userId);
    ws.chat = socket;
    ws.on('pong', () => (socket.alive = true));
    this.delivery.attach(socket).catch((e: unknown) => {
      this.logger.error(`offline backlog for user ${userId} failed: ${String(e)}`);
      // 1011 tells the client to come back; the backlog stays pending until it does.
      ws.close(1011, 'backlog unavailable, reconnect');
    });
  }

  handleDisconnect(ws: ChatWs): void {
    if (ws.chat) this.delivery.detach(ws.chat);
  }

  @SubscribeMessage(FRAME_EVENT)
  async onFrame(@ConnectedSocket() ws: ChatWs, @MessageBody() frame: IncomingFrame): Promise<object | undefined> {
    const socket = ws.chat;
    if (!socket) return undefined;
    if (frame.isBinary) return binaryFrameError(this.clock.wallClock());

    let to: number | null = null;
    try {
      const parsed = parseFrame(frame.raw, {
        userId: socket.userId,
        textMaxLength: this.config.textMaxLength,
        heartbeatText: this.config.heartbeatEnabled ? this.config.heartbeatText : '',
      });
      if (parsed.kind === 'heartbeat') return undefined;
      const { command } = parsed;
      to = command.to;
      const accepted = await this.chat.accept(socket.userId, command);
      // Not awaited: the next frame is read while this one is written; order holds because
      // the writer stores in call order and settles in that order.
      this.chat.store(accepted, socket.id).then(
        (result) => {
          this.delivery.noteSent(socket, result.message.id);
          if (command.clientMsgId) socket.send(ackFrame(command.clientMsgId, result.message)).catch(() => undefined);
        },
        (e: unknown) => socket.send(this.refusal(e, command.to)).catch(() => undefined),
      );
      return undefined;
    } catch (e) {
      return this.refusal(e, to);
    }
  }

  beforeApplicationShutdown(): void {
    this.authorizer.stopAccepting();
    if (this.pingTimer) clearInterval(this.pingTimer);
    // 1001 "going away": clients reconnect, behind a balancer to another replica.
    for (const socket of this.delivery.allSockets()) socket.close(1001, 'server shutting down');
  }

  private refusal(e: unknown, to: number | null): object {
    const now = this.clock.wallClock();
    if (e instanceof FrameError) return errorFrame(e.to, e.message, now, e.code);
    if (e instanceof DomainError) {
      return e.code === ErrorCode.UserNotFound && to !== null ? unknownRecipientFrame(to, now) : errorFrame(to, e.message, now, e.code);
    }
    this.logger.error(`frame failed: ${e instanceof Error ? e.stack : String(e)}`);
    return errorFrame(to, '服务器内部错误，请重试 (internal error; try again)', now, ErrorCode.Internal);
  }

  private pingAll(): void {
    for (const ws of (this.server?.clients ?? new Set()) as Set<ChatWs>) {
      const socket = ws.chat;
      if (!socket) continue;
      if (!socket.alive) {
        ws.terminate();
        continue;
      }
      socket.alive = false;
      ws.ping();
    }
  }
}
