import type { WireMessage } from '../protocol/frames';
import {
  addPending,
  applyAck,
  catchUpFrom,
  friendTyping,
  initialConversation,
  isTyping,
  markFailed,
  markSending,
  mergeServerMessages,
  newestSeq,
  oldestId,
  receiptsMoved,
  removePending,
  tickOf,
  unreadAbove,
} from './conversation.state';

const ME = 1;
const FRIEND = 2;
const fromFriend = (id: number, text = `m${id}`): WireMessage => ({ id, senderId: FRIEND, to: ME, sender: '小红', text, time: '2026-12-01 10:00:00' });
const fromMe = (id: number, text = `m${id}`): WireMessage => ({ id, senderId: ME, to: FRIEND, sender: 'me', text, time: '2026-12-01 10:00:00' });

describe('conversation state', () => {
  const empty = initialConversation(ME, FRIEND);

  it('keeps each message once, in id order, whatever way and order it came', () => {
    let s = mergeServerMessages(empty, [fromFriend(5), fromMe(3)]);
    s = mergeServerMessages(s, [fromFriend(5), fromFriend(4), fromMe(3), fromFriend(9)]);
    expect(s.messages.map((m) => m.id)).toEqual([3, 4, 5, 9]);
    expect(s.messages.map((m) => m.status)).toEqual(['sent', 'received', 'received', 'received']);
    expect(s.friendName).toBe('小红');
    expect(catchUpFrom(s)).toBe(9);
    expect(oldestId(s)).toBe(3);
    expect(mergeServerMessages(s, [fromFriend(4)])).toBe(s);
  });

  it('shows a sent message at once, then at its place once acked', () => {
    let s = mergeServerMessages(empty, [fromFriend(10)]);
    s = addPending(s, { clientMsgId: 'c1', text: 'hi', sender: 'me' });
    expect(s.messages.map((m) => [m.key, m.status])).toEqual([
      ['m10', 'received'],
      ['c1', 'sending'],
    ]);
    s = mergeServerMessages(s, [fromFriend(12)]);
    s = applyAck(s, { clientMsgId: 'c1', id: 11, time: '2026-12-01 10:00:01' });
    expect(s.messages.map((m) => [m.id, m.status])).toEqual([
      [10, 'received'],
      [11, 'sent'],
      [12, 'received'],
    ]);
    expect(s.messages[1].key).toBe('c1');
    // An ack names a message of ours, not how far the server has shown us the conversation.
    s = applyAck(addPending(s, { clientMsgId: 'c2', text: 'more', sender: 'me' }), { clientMsgId: 'c2', id: 30, time: 't' });
    expect(catchUpFrom(s)).toBe(12);
  });

  it('merges an ack whose message a catch-up already brought (a retry after a lost ack): one copy', () => {
    let s = addPending(empty, { clientMsgId: 'c1', text: 'hi', sender: 'me' });
    s = mergeServerMessages(s, [fromMe(7, 'hi')]);
    s = applyAck(s, { clientMsgId: 'c1', id: 7, time: 't' });
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]).toMatchObject({ id: 7, clientMsgId: 'c1', status: 'sent', key: 'c1' });
    // A second ack for the same clientMsgId (sent twice) changes nothing.
    expect(applyAck(s, { clientMsgId: 'c1', id: 7, time: 't' })).toBe(s);
  });

  it('marks a refused message, retries and discards it', () => {
    let s = addPending(empty, { clientMsgId: 'c1', text: 'x'.repeat(600), sender: 'me' });
    s = markFailed(s, 'c1', 'too long', false);
    expect(s.messages[0]).toMatchObject({ status: 'failed', error: 'too long', retryable: false });
    s = markSending(s, 'c1');
    expect(s.messages[0].status).toBe('sending');
    expect(s.messages[0].error).toBeUndefined();
    expect(removePending(s, 'c1').messages).toEqual([]);
  });

  it('ticks by position: sent, delivered, read (read implies delivered); positions never go back', () => {
    let s = mergeServerMessages(empty, [{ ...fromMe(3), seq: 1 }, { ...fromFriend(4), seq: 2 }, { ...fromMe(5), seq: 3 }]);
    const [a, , c] = s.messages;
    expect([tickOf(s, a), tickOf(s, c)]).toEqual(['sent', 'sent']);
    s = receiptsMoved(s, { deliveredSeq: 3 });
    expect([tickOf(s, a), tickOf(s, c)]).toEqual(['delivered', 'delivered']);
    s = receiptsMoved(s, { friendReadSeq: 1 });
    expect([tickOf(s, a), tickOf(s, c)]).toEqual(['read', 'delivered']);
    expect(receiptsMoved(s, { deliveredSeq: 2, friendReadSeq: 1 })).toBe(s);
    expect(receiptsMoved(empty, { friendReadSeq: 4 })).toMatchObject({ friendReadSeq: 4, deliveredSeq: 4 });
    // Without a seq (an older server) a message can only be sent.
    const old = mergeServerMessages(empty, [fromMe(7)]);
    expect(tickOf(receiptsMoved(old, { friendReadSeq: 99 }), old.messages[0])).toBe('sent');
  });

  it("counts the friend's messages left above a read position", () => {
    const s = mergeServerMessages(empty, [{ ...fromFriend(3), seq: 1 }, { ...fromMe(4), seq: 2 }, { ...fromFriend(5), seq: 3 }, { ...fromFriend(6), seq: 4 }]);
    expect(unreadAbove(s, 1)).toBe(2);
    expect(unreadAbove(s, 3)).toBe(1);
    expect(newestSeq(s)).toBe(4);
  });

  it('shows typing until it expires', () => {
    const s = friendTyping(empty, 1000, 5000);
    expect(isTyping(s, 5999)).toBe(true);
    expect(isTyping(s, 6000)).toBe(false);
    expect(isTyping(empty, 0)).toBe(false);
  });
});
