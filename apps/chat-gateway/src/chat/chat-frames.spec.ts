import { ackFrame, errorFrame, FrameError, messageFrame, parseFrame, readId } from './chat-frames';

const rules = { userId: 23, textMaxLength: 500, heartbeatText: 'heart' };

const refusal = (raw: string, r = rules): FrameError => {
  try {
    parseFrame(raw, r);
  } catch (e) {
    if (e instanceof FrameError) return e;
    throw e;
  }
  throw new Error(`frame was accepted: ${raw}`);
};

describe('parseFrame', () => {
  it('reads the Android shape (numeric ids)', () => {
    expect(parseFrame('{"senderId":23,"to":22,"text":"测试消息"}', rules)).toEqual({
      kind: 'send',
      command: { to: 22, text: '测试消息', clientMsgId: undefined },
    });
  });

  it('reads the iOS shape (string ids, pretty-printed over several lines)', () => {
    const raw = '{\n    "senderId":"23",   \n    "to":"22",\n    "text":"测试消息"\n}';
    expect(parseFrame(raw, rules)).toMatchObject({ kind: 'send', command: { to: 22, text: '测试消息' } });
  });

  it('treats the heartbeat text as keep-alive, and as a message when switched off', () => {
    expect(parseFrame('{"senderId":"23","to":"22","text":"heart"}', rules)).toEqual({ kind: 'heartbeat' });
    expect(parseFrame('{"senderId":"23","to":"22","text":"heart"}', { ...rules, heartbeatText: '' })).toMatchObject({
      kind: 'send',
      command: { text: 'heart' },
    });
    expect(parseFrame('{"to":"22","text":"heart "}', rules)).toMatchObject({ kind: 'send' });
  });

  it('keeps a clientMsgId, numbers included', () => {
    expect(parseFrame('{"to":22,"text":"x","clientMsgId":"a-1"}', rules)).toMatchObject({ command: { clientMsgId: 'a-1' } });
    expect(parseFrame('{"to":22,"text":"x","clientMsgId":17}', rules)).toMatchObject({ command: { clientMsgId: '17' } });
  });

  it.each([
    ['not JSON', '{"to":', 'INVALID_FRAME', null],
    ['a string', '"hello"', 'INVALID_FRAME', null],
    ['null', 'null', 'INVALID_FRAME', null],
    ['no to', '{"text":"x"}', 'INVALID_FRAME', null],
    ['to zero', '{"to":0,"text":"x"}', 'INVALID_FRAME', null],
    ['to fractional', '{"to":2.5,"text":"x"}', 'INVALID_FRAME', null],
    ['to as words', '{"to":"twenty","text":"x"}', 'INVALID_FRAME', null],
    ['spoofed senderId', '{"senderId":24,"to":22,"text":"x"}', 'SENDER_MISMATCH', 22],
    ['spoofed string senderId', '{"senderId":"24","to":22,"text":"x"}', 'SENDER_MISMATCH', 22],
    ['text missing', '{"to":22}', 'TEXT_EMPTY', 22],
    ['text a number', '{"to":22,"text":5}', 'TEXT_EMPTY', 22],
    ['text blank', '{"to":22,"text":" \\n "}', 'TEXT_EMPTY', 22],
    ['clientMsgId too long', `{"to":22,"text":"x","clientMsgId":"${'a'.repeat(65)}"}`, 'INVALID_FRAME', 22],
  ])('refuses %s', (_name, raw, code, to) => {
    const e = refusal(raw);
    expect(e.code).toBe(code);
    expect(e.to).toBe(to);
    expect(e.message.length).toBeGreaterThan(10);
  });

  it('counts characters as code points against the limit', () => {
    expect(parseFrame(JSON.stringify({ to: 22, text: '😀'.repeat(500) }), rules)).toMatchObject({ kind: 'send' });
    expect(refusal(JSON.stringify({ to: 22, text: '😀'.repeat(501) })).code).toBe('TEXT_TOO_LONG');
    expect(refusal(JSON.stringify({ to: 22, text: 'abc' }), { ...rules, textMaxLength: 2 }).message).toContain('2');
  });
});

describe('readId', () => {
  it.each([
    [22, 22],
    ['22', 22],
    [' 22 ', 22],
    [0, null],
    ['0', null],
    [-1, null],
    ['1e3', null],
    [Number.MAX_SAFE_INTEGER + 1, null],
    [true, null],
    [null, null],
  ])('%p -> %p', (input, expected) => expect(readId(input)).toBe(expected));
});

describe('frames', () => {
  it('shapes the error frame exactly as the legacy server did, legacy keys first', () => {
    const f = errorFrame(33, '用户不存在', '2019-05-27 21:40:30', 'USER_NOT_FOUND');
    expect(JSON.stringify(f)).toBe('{"id":null,"sender":0,"to":33,"text":"用户不存在","createTime":"2019-05-27 21:40:30","code":"USER_NOT_FOUND"}');
  });

  it('shapes the message frame with the legacy fields first', () => {
    const f = messageFrame({ id: 9, senderId: 23, to: 22, text: '测试消息', time: '2019-05-27 21:31:56', senderName: '手机用户13227769909' });
    expect(JSON.stringify(f)).toBe(
      '{"sender":"手机用户13227769909","text":"测试消息","time":"2019-05-27 21:31:56","id":9,"senderId":23,"to":22}',
    );
  });

  it('shapes the ack frame', () => {
    expect(ackFrame('c1', { id: 9, senderId: 23, to: 22, text: 'x', time: '2019-05-27 21:31:56' })).toEqual({
      type: 'ack',
      clientMsgId: 'c1',
      id: 9,
      time: '2019-05-27 21:31:56',
    });
  });
});
