import { CHAT_V2_PROTOCOL, READ_ERROR_CODES, RETRYABLE_ERROR_CODES } from '@app/protocol-constants';
import { decodeFrame, encodeRead, encodeSend, encodeTyping, READ_CODES, RETRYABLE_CODES, V2_PROTOCOL } from './frames';

describe('frames', () => {
  it('reads a live message with the additive fields', () => {
    const raw = '{"sender":"手机用户13227769909","text":"测试消息 😀","time":"2019-05-27 21:31:56","id":4711,"senderId":23,"to":22}';
    expect(decodeFrame(raw)).toEqual({
      kind: 'message',
      sender: '手机用户13227769909',
      text: '测试消息 😀',
      time: '2019-05-27 21:31:56',
      id: 4711,
      senderId: 23,
      to: 22,
    });
  });

  it('keeps the v2 fields when a server sends them', () => {
    expect(decodeFrame('{"sender":"a","text":"t","time":"x","id":1,"senderId":2,"to":3,"seq":9,"clientMsgId":"c"}')).toMatchObject({ seq: 9, clientMsgId: 'c' });
  });

  it('reads an ack', () => {
    expect(decodeFrame('{"type":"ack","clientMsgId":"c-1","id":4711,"time":"2026-11-25 21:31:56"}')).toEqual({
      kind: 'ack',
      clientMsgId: 'c-1',
      id: 4711,
      time: '2026-11-25 21:31:56',
    });
  });

  it('reads the legacy error shape, with its code', () => {
    expect(decodeFrame('{"id":null,"sender":0,"to":33,"text":"用户不存在","createTime":"2019-05-27 21:40:30","code":"USER_NOT_FOUND"}')).toEqual({
      kind: 'error',
      to: 33,
      reason: '用户不存在',
      code: 'USER_NOT_FOUND',
      time: '2019-05-27 21:40:30',
    });
  });

  it('reads the v2 receipts and typing', () => {
    expect(decodeFrame('{"type":"read","friendId":5,"by":5,"seq":17,"time":"2026-11-25 21:31:56"}')).toEqual({
      kind: 'read',
      friendId: 5,
      by: 5,
      seq: 17,
      time: '2026-11-25 21:31:56',
    });
    expect(decodeFrame('{"type":"delivered","friendId":5,"seq":3}')).toEqual({ kind: 'delivered', friendId: 5, seq: 3 });
    expect(decodeFrame('{"type":"typing","friendId":5}')).toEqual({ kind: 'typing', friendId: 5 });
  });

  it('passes typed frames it does not know through, and never throws', () => {
    expect(decodeFrame('{"type":"presence","friendId":5}')).toEqual({ kind: 'typed', type: 'presence', frame: { type: 'presence', friendId: 5 } });
    for (const raw of ['not json', '[1,2]', 'null', '{"type":"ack"}', '{"text":"no sender"}', '{"type":"read","friendId":5}', '{"type":"typing"}', '{"type":"delivered","seq":"1"}']) {
      expect(decodeFrame(raw).kind).toBe('unknown');
    }
  });

  it('encodes read and typing', () => {
    expect(JSON.parse(encodeRead(22, 17))).toEqual({ type: 'read', friendId: 22, seq: 17 });
    expect(JSON.parse(encodeTyping(22))).toEqual({ type: 'typing', friendId: 22 });
  });

  it('sends the recipient, the text and the clientMsgId, and no senderId', () => {
    expect(JSON.parse(encodeSend({ to: 22, text: '你好', clientMsgId: 'w-1' }))).toEqual({ to: 22, text: '你好', clientMsgId: 'w-1' });
  });

  it("takes the subprotocol name and the error codes from the server's own module", () => {
    expect(V2_PROTOCOL).toBe(CHAT_V2_PROTOCOL);
    expect(READ_CODES).toBe(READ_ERROR_CODES);
    expect(RETRYABLE_CODES).toBe(RETRYABLE_ERROR_CODES);
  });
});
