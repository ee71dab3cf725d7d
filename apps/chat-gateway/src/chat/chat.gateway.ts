import { BeforeApplicationShutdown, Inject, Logger, OnModuleInit } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { WebSocket, WebSocketServer } from 'ws';
import { MESSAGE_BUS, MessageBus } from '@app/bus';
import { ChatClock, DomainError, ErrorCode, processInstanceId } from '@app/common';
import { BusConfig, ChatConfig, CoreConfig } from '@app/config';
import { ReadinessRegistry } from '@app/ops';
import { DeliveredMarker } from '../delivery/delivered-marker.service';
import { DeliveryService } from '../delivery/delivery.service';
import { MessageWriter } from '../messages/message-writer.service';
import { ChatMetrics } from '../ops/chat-metrics.service';
import { ackFrame, binaryFrameError, errorFrame, FrameError, parseFrame, unknownRecipientFrame } from './chat-frames';
import { AuthedRequest, FRAME_EVENT, IncomingFrame } from './chat-ws.adapter';
import { ChatService } from './chat.service';
import { RateLimiter } from './rate-limiter.service';
import { CHAT_PATH, UpgradeAuthorizer } from './upgrade-authorizer.service';
import { WsChatSocket } from './ws-chat-socket';

type ChatWs = WebSocket & { chat?: WsChatSocket };

/**
 * The WebSocket edge of friend chat: turns frames into ChatService calls and results into
 * frames. Refusals answer with the legacy error frame and leave the socket open.
 */
@WebSocketGateway({ path: CHAT_PATH })
// Sockets are detached from their own close listener (set in handleConnection), which knows how they closed.
export class ChatGateway implements OnModuleInit, OnGatewayInit, OnGatewayConnection, BeforeApplicationShutdown {
  private readonly logger = new Logger(ChatGateway.name);
  private readonly instanceId: string;
  private server?: WebSocketServer;
  private sequence = 0;
  private pingTimer?: NodeJS.Timeout;
  private shuttingDown = false;

  constructor(
    private readonly chat: ChatService,
    private readonly delivery: DeliveryService,
    private readonly authorizer: UpgradeAuthorizer,
    private readonly clock: ChatClock,
    private readonly config: ChatConfig,
    private readonly limiter: RateLimiter,
    private readonly writer: MessageWriter,
    private readonly marker: DeliveredMarker,
    private readonly metrics: ChatMetrics,
    private readonly readiness: ReadinessRegistry,
    private readonly busConfig: BusConfig,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    core: CoreConfig,
  ) {
    this.instanceId = processInstanceId(core);
  }

  onModuleInit(): void {
    this.readiness.register({
      name: 'chat-gateway',
      check: () => {
        if (this.shuttingDown) throw new Error('shutting down');
        // Without a live subscription this replica would miss messages for its sockets.
        if (this.busConfig.enabled && !this.bus.isLive()) throw new Error('Redis subscription is not live');
        return { sockets: this.delivery.socketCount, bus: this.busConfig.enabled ? 'redis' : 'in-process' };
      },
    });
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
    if (this.delivery.socketsOf(userId) >= this.config.maxSocketsPerUser) {
      this.metrics.rejectedSockets.inc();
      ws.close(1008, `too many connections for this user (max ${this.config.maxSocketsPerUser})`);
      return;
    }
    const socket = new WsChatSocket(ws, `${this.instanceId}/${++this.sequence}`, userId);
    ws.chat = socket;
    // 1006: the connection dropped without a close handshake, so the client may not have read
    // the last frames; those stay pending. Any other code followed a handshake.
    ws.once('close', (code: number) => this.delivery.detach(socket, code !== 1006));
    this.delivery.attach(socket).catch((e: unknown) => {
      this.logger.error(`offline backlog for user ${userId} failed: ${String(e)}`);
      // 1011 tells the client to come back; the backlog stays pending until it does.
      ws.close(1011, 'backlog unavailable, reconnect');
    });
  }

  @SubscribeMessage(FRAME_EVENT)
  async onFrame(@ConnectedSocket() ws: ChatWs, @MessageBody() frame: IncomingFrame): Promise<object | undefined> {
    const socket = ws.chat;
    if (!socket) return undefined;
    if (this.shuttingDown) {
      this.metrics.framesIn.inc({ outcome: 'refused' });
      return errorFrame(null, '服务器正在重启，消息未保存，请重连后重发 (server shutting down; reconnect and resend)', this.clock.wallClock(), ErrorCode.StoreUnavailable);
    }
    if (frame.isBinary) {
      this.metrics.framesIn.inc({ outcome: 'refused' });
      return binaryFrameError(this.clock.wallClock());
    }

    let to: number | null = null;
    try {
      const parsed = parseFrame(frame.raw, {
        userId: socket.userId,
        textMaxLength: this.config.textMaxLength,
        heartbeatText: this.config.heartbeatEnabled ? this.config.heartbeatText : '',
      });
      if (parsed.kind === 'heartbeat') {
        this.metrics.framesIn.inc({ outcome: 'heartbeat' });
        return undefined;
      }
      const { command } = parsed;
      to = command.to;
      if (!(await this.limiter.allow(socket.userId))) {
        throw new DomainError(
          ErrorCode.RateLimited,
          `发送过于频繁：每 ${this.config.rateLimitWindowSec} 秒最多 ${this.limiter.limit} 条，请稍后再发 (rate limit: at most ${this.limiter.limit} messages per ${this.config.rateLimitWindowSec} s)`,
        );
      }
      const accepted = await this.chat.accept(socket.userId, command);
      // Not awaited: the next frame is read while this one is written; order holds because
      // the writer stores in call order and settles in that order.
      this.chat.store(accepted, socket.id).then(
        (result) => {
          this.metrics.framesIn.inc({ outcome: result.duplicate ? 'duplicate' : 'stored' });
          this.delivery.noteSent(socket, result.message);
          if (command.clientMsgId) socket.send(ackFrame(command.clientMsgId, result.message)).catch(() => undefined);
        },
        (e: unknown) => {
          this.metrics.framesIn.inc({ outcome: 'failed' });
          socket.send(this.refusal(e, command.to)).catch(() => undefined);
        },
      );
      return undefined;
    } catch (e) {
      this.metrics.framesIn.inc({ outcome: 'refused' });
      return this.refusal(e, to);
    }
  }

  /**
   * Graceful shutdown: not ready, no new sockets; the stores already accepted finish (their
   * senders get their acks); delivery stops and every delivery made so far is recorded, so that
   * what is left is exactly what stays pending; then every socket is closed with 1001 and the
   * clients reconnect, behind the balancer to another replica, where the pending rest reaches
   * them once. On a signal, the process exits after the grace period whatever is left.
   */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.shuttingDown = true;
    this.authorizer.stopAccepting();
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (signal) {
      this.logger.log(`${signal}: closing ${this.delivery.socketCount} socket(s), grace ${this.config.shutdownGraceMs} ms`);
      setTimeout(() => {
        this.logger.warn('shutdown grace period over: exiting');
        process.exit(1);
      }, this.config.shutdownGraceMs).unref();
    }
    await this.writer.drain();
    this.delivery.stopDelivering();
    await this.delivery.confirmAll();
    await this.marker.drain();
    for (const socket of this.delivery.allSockets()) socket.close(1001, 'server shutting down');
    // A socket that completes the close handshake has read everything: its last deliveries
    // count (see DeliveryService.detach). Record them before the database goes away.
    for (let waited = 0; this.delivery.socketCount > 0 && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    await this.marker.drain();
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
