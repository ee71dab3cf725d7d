import type { ServerEvent } from '../protocol/events';
import type { ChatSocket } from './chat-socket';
import { SocketSession } from './socket-session';

const socket = { id: 'r/1', userId: 5, version: 2 } as ChatSocket;
const message = (seq: number) => ({ id: seq, senderId: 7, to: 5, senderName: 'u7', text: `m${seq}`, time: '2024-01-01 00:00:00', seq });

describe('SocketSession', () => {
  it('holds no collection and no part while idle, and reads allocate none', () => {
    const s = new SocketSession(socket);
    expect(s.nextOf(7)).toBe(1);
    expect(s.backlogTo(7)).toBe(0);
    expect(s.takeRead()).toBeUndefined();
    expect(s.ownSends(false)).toBeUndefined();
    expect(s.confirmations(false)).toBeUndefined();
    const fields = Object.entries(s).filter(([, v]) => typeof v === 'object' && v !== null && v !== socket);
    expect(fields).toEqual([]);
  });

  it('hands back, once live, the backlog ends, the early events and the latest receipt of each kind', () => {
    const s = new SocketSession(socket);
    s.start(7, 3, 9);
    s.keepEarly(7, { kind: 'message', seq: 10, message: message(10) });
    const old: ServerEvent = { type: 'delivered', friendId: 7, seq: 1 };
    const latest: ServerEvent = { type: 'delivered', friendId: 7, seq: 2 };
    s.holdReceipt('delivered:7', old);
    s.holdReceipt('delivered:7', latest);
    const waited = s.goLive();
    expect(waited).toEqual({ backlog: [[7, 9]], early: [{ friendId: 7, arrival: { kind: 'message', seq: 10, message: message(10) } }], receipts: [latest], resync: false });
    expect(s.phase).toBe('live');
    expect(s.nextOf(7)).toBe(3);
    expect(s.goLive().receipts).toEqual([]);
  });

  it('parks a read behind its own sends and hands it back when the last one settles', () => {
    const s = new SocketSession(socket);
    const own = s.ownSends();
    const read = { rows: [], coveredTo: 4 };
    expect(own.park(7, read)).toBe(false);
    own.sending(7);
    own.sending(7);
    expect(own.park(7, read)).toBe(true);
    expect(own.settled(7)).toBeUndefined();
    expect(own.settled(7)).toBe(read);
  });

  it('caps the received position where a write found the socket closed, and then counts nothing at close', () => {
    const s = new SocketSession(socket);
    s.goLive();
    s.order(7).offer({ kind: 'message', seq: 1, message: message(1) });
    s.order(7).offer({ kind: 'message', seq: 2, message: message(2) });
    s.writeLost(7, 2);
    expect(s.received(7)).toBe(1);
    expect(s.close()).toBe(true);
    s.writeLost(7, undefined);
    expect(s.close()).toBe(false);
  });
});
