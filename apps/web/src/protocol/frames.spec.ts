import { decodeFrame, encodeSend } from './frames';

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

  it('passes typed frames it does not know through, and never throws', () => {
    expect(decodeFrame('{"type":"typing","friendId":5}')).toEqual({ kind: 'typed', type: 'typing', frame: { type: 'typing', friendId: 5 } });
    for (const raw of ['not json', '[1,2]', 'null', '{"type":"ack"}', '{"text":"no sender"}']) {
      expect(decodeFrame(raw).kind).toBe('unknown');
    }
  });

  it('sends the recipient, the text and the clientMsgId, and no senderId', () => {
    expect(JSON.parse(encodeSend({ to: 22, text: '你好', clientMsgId: 'w-1' }))).toEqual({ to: 22, text: '你好', clientMsgId: 'w-1' });
  });
});
