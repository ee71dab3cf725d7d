import { Injectable, Logger } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { LogThrottle } from '@app/common';
import { ChatConfig, CoreConfig, processInstanceId } from '@app/config';
import { DeliveryService } from '../delivery/delivery.service';
import { FrameDispatcher } from '../handlers/frame-dispatcher';
import { ChatMetrics } from '../shared/chat-metrics.service';
import type { AuthedRequest } from './chat-ws.adapter';
import type { IncomingFrame } from '../protocol/events';
import { FloodReason, FrameIngress, IngressLimits, IngressSink } from './frame-ingress';
import { FrameRate } from './frame-rate';
import { InboundBudget } from './inbound-budget';
import { WsChatSocket } from './ws-chat-socket';

/** A `ws` socket with the chat socket made for it. */
export type ChatWs = WebSocket & { chat?: WsChatSocket; ingress?: FrameIngress<WsChatSocket>; manager?: ConnectionManager };

// The listeners of every chat socket: functions shared by all sockets (`this` is the socket), so
// an idle socket carries no closures of its own.
function onMessage(this: ChatWs, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  this.ingress?.receive(data, isBinary);
}
function onPing(this: ChatWs): void {
  this.ingress?.ping();
}
function onPong(this: ChatWs, data: Buffer): void {
  this.chat?.handlePong(data);
}
function onClose(this: ChatWs, code: number): void {
  this.chat?.handleClose();
  this.ingress?.close();
  this.manager?.closed(this, code);
}

/**
 * Turns an accepted upgrade into a chat socket: the per-user cap, the socket's bounded ingress
 * feeding the frame dispatcher, delivery's attach (the offline backlog) and detach at close.
 */
@Injectable()
export class ConnectionManager implements IngressSink<WsChatSocket> {
  private readonly logger = new Logger(ConnectionManager.name);
  private readonly throttled = new LogThrottle(this.logger);
  private readonly instanceId: string;
  private readonly budget: InboundBudget;
  private readonly limits: IngressLimits;
  private sequence = 0;
  /** Each connected user's frame rate, shared by the user's sockets here. */
  private readonly rates = new Map<number, { rate: FrameRate; sockets: number }>();

  constructor(
    private readonly delivery: DeliveryService,
    private readonly dispatcher: FrameDispatcher,
    private readonly config: ChatConfig,
    private readonly metrics: ChatMetrics,
    core: CoreConfig,
  ) {
    this.instanceId = processInstanceId(core);
    this.budget = new InboundBudget(config.inboundTotalBytes);
    this.limits = { maxFrames: config.inboundMaxFrames, maxBytes: config.inboundMaxBytes, maxOverruns: config.inboundOverruns };
  }

  open(ws: ChatWs, req: AuthedRequest): void {
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
    const socket = new WsChatSocket(ws, `${this.instanceId}/${++this.sequence}`, userId, req.chatVersion ?? 1, this.config.sendBufferBytes);
    ws.chat = socket;
    let rate = this.rates.get(userId);
    if (!rate) this.rates.set(userId, (rate = { rate: new FrameRate(this.config.inboundFramesPerSec), sockets: 0 }));
    rate.sockets += 1;
    ws.ingress = new FrameIngress(
      ws,
      socket,
      this,
      this.limits,
      this.budget,
      rate.rate,
    );
    ws.manager = this;
    ws.on('message', onMessage);
    ws.on('ping', onPing);
    ws.on('pong', onPong);
    // `on`, not `once` (close comes once): once would wrap the listener in a closure per socket.
    ws.on('close', onClose);
    this.delivery.attach(socket).catch((e: unknown) => {
      this.throttled.warn('attach', `attaching a socket of user ${userId} failed: ${String(e)}`);
      // 1011 tells the client to come back; its backlog stays undelivered until it does.
      ws.close(1011, 'backlog unavailable, reconnect');
    });
  }

  /**
   * The socket closed. 1006: the connection dropped without a close handshake, so the client
   * may not have read the last frames; those stay undelivered. Any other code followed a
   * handshake.
   */
  closed(ws: ChatWs, code: number): void {
    const socket = ws.chat;
    if (!socket) return;
    this.delivery.detach(socket, code !== 1006);
    const rate = this.rates.get(socket.userId);
    if (rate && --rate.sockets === 0) this.rates.delete(socket.userId);
  }

  // ---------------------------------------------------------------- the sink of every socket's ingress

  handle(socket: WsChatSocket, frame: IncomingFrame): Promise<void> {
    return this.dispatcher.dispatch({ socket, receivedAt: frame.receivedAt, reply: (f) => socket.reply(f) }, frame);
  }

  paused(): void {
    this.metrics.inboundPauses.inc();
  }

  flooding(socket: WsChatSocket, reason: FloodReason): void {
    this.metrics.floodCloses.inc({ reason });
    this.throttled.warn(
      `flood-${reason}`,
      `closed a socket of user ${socket.userId} with 1008: ${reason === 'ping' ? 'pinging' : 'sending frames'} faster than its frame rate`,
    );
    socket.close(1008, 'sending faster than the server can take: slow down');
  }

  failed(_socket: WsChatSocket, e: unknown): void {
    this.logger.error(`frame handler failed: ${e instanceof Error ? e.stack : String(e)}`);
  }
}
