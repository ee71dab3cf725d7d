import type { WireMessage } from '../protocol/frames';
import { addPending, applyAck, catchUpFrom, initialConversation, markFailed, markSending, mergeServerMessages, oldestId, removePending } from './conversation.state';

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
});
