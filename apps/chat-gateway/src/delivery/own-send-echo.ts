import { Injectable } from '@nestjs/common';
import type { StoredMessage } from '@app/database';
import type { ChatSocket } from './chat-socket';
import { ConversationFlow } from './conversation-flow';
import { SocketRegistry } from './socket-registry';

/**
 * The own-send rule: while a socket's send is on its way to the database, what the bus brings for
 * that conversation waits (parked) so the socket never gets its own message back; once the send
 * is stored the socket holds its position, and once it failed the parked frames go out.
 */
@Injectable()
export class OwnSendEcho {
  constructor(
    private readonly registry: SocketRegistry,
    private readonly flow: ConversationFlow,
  ) {}

  /** A send of this socket to `friendId` is on its way to the database. */
  sending(socket: ChatSocket, friendId: number): void {
    this.registry.sessionOf(socket)?.ownSends().sending(friendId);
  }

  /** This socket's send was stored: it has that position and must never get it back. */
  sent(socket: ChatSocket, message: StoredMessage): void {
    const session = this.registry.sessionOf(socket);
    if (!session) return;
    const parked = session.ownSends(false)?.settled(message.to);
    if (message.seq !== undefined) this.flow.offer(session, message.to, { kind: 'own', seq: message.seq });
    if (parked) this.flow.apply(session, message.to, session.order(message.to).readDone(parked));
  }

  /** This socket's send to `friendId` was not stored. */
  failed(socket: ChatSocket, friendId: number): void {
    const session = this.registry.sessionOf(socket);
    const parked = session?.ownSends(false)?.settled(friendId);
    if (session && parked) this.flow.apply(session, friendId, session.order(friendId).readDone(parked));
  }
}
