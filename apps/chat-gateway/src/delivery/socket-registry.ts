import { Injectable } from '@nestjs/common';
import type { ChatSocket } from './chat-socket';
import { SocketSession } from './socket-session';

/** The sockets this replica holds, by user. */
@Injectable()
export class SocketRegistry {
  private readonly byUser = new Map<number, Set<SocketSession>>();
  private readonly bySocket = new WeakMap<ChatSocket, SocketSession>();
  private total = 0;

  add(session: SocketSession): void {
    let set = this.byUser.get(session.userId);
    if (!set) this.byUser.set(session.userId, (set = new Set()));
    set.add(session);
    this.bySocket.set(session.socket, session);
    this.total += 1;
  }

  /** Removes a socket; true when it was its user's last on this replica. */
  remove(session: SocketSession): boolean {
    const set = this.byUser.get(session.userId);
    if (!set?.delete(session)) return false;
    this.bySocket.delete(session.socket);
    this.total -= 1;
    if (set.size) return false;
    this.byUser.delete(session.userId);
    return true;
  }

  sessionOf(socket: ChatSocket): SocketSession | undefined {
    return this.bySocket.get(socket);
  }

  sessionsOf(userId: number): ReadonlySet<SocketSession> {
    return this.byUser.get(userId) ?? EMPTY;
  }

  count(userId: number): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  get size(): number {
    return this.total;
  }

  users(): number[] {
    return [...this.byUser.keys()];
  }

  *all(): IterableIterator<SocketSession> {
    for (const set of this.byUser.values()) yield* set;
  }
}

const EMPTY: ReadonlySet<SocketSession> = new Set();
