import { ackFrame, deliveredFrame, errorFrame, FrameError, messageFrame, parseFrame, readFrame, readId, typingFrame } from './frame-codec';

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
      type: 'send',
      command: { to: 22, text: '测试消息' },
    });
  });

  it('reads the iOS shape (string ids, pretty-printed over several lines)', () => {
    const raw = '{\n    "senderId":"23",   \n    "to":"22",\n    "text":"测试消息"\n}';
    expect(parseFrame(raw, rules)).toMatchObject({ type: 'send', command: { to: 22, text: '测试消息' } });
  });

  it('treats the heartbeat text as keep-alive, and as a message when switched off', () => {
    expect(parseFrame('{"senderId":"23","to":"22","text":"heart"}', rules)).toEqual({ type: 'heartbeat' });
    expect(parseFrame('{"senderId":"23","to":"22","text":"heart"}', { ...rules, heartbeatText: '' })).toMatchObject({
      type: 'send',
      command: { text: 'heart' },
    });
    expect(parseFrame('{"to":"22","text":"heart "}', rules)).toMatchObject({ type: 'send' });
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
    ['to with spaces', '{"to":" 22","text":"x"}', 'INVALID_FRAME', null],
    ['a message to oneself', '{"to":23,"text":"x"}', 'RECIPIENT_IS_SENDER', 23],
    ['only zero-width spaces', '{"to":22,"text":"\u200b\u200b\u200b"}', 'TEXT_EMPTY', 22],
    ['only a byte order mark and a zero-width joiner', '{"to":22,"text":"\ufeff\u200d"}', 'TEXT_EMPTY', 22],
    ['only Hangul fillers', '{"to":22,"text":"\u3164\u3164"}', 'TEXT_EMPTY', 22],
    ['only blank Braille patterns', '{"to":22,"text":"\u2800 \u2800"}', 'TEXT_EMPTY', 22],
    ['only combining marks', '{"to":22,"text":"\u0301\u0308\u20dd"}', 'TEXT_EMPTY', 22],
    ['only a NUL', '{"to":22,"text":"\\u0000"}', 'TEXT_INVALID', 22],
    ['a NUL inside a text', '{"to":22,"text":"a\\u0000b"}', 'TEXT_INVALID', 22],
    ['a lone high surrogate', '{"to":22,"text":"a\ud800b"}', 'TEXT_INVALID', 22],
    ['a lone low surrogate', '{"to":22,"text":"\udc00"}', 'TEXT_INVALID', 22],
    ['an unknown type', '{"type":"ack","friendId":22}', 'UNKNOWN_TYPE', 22],
    ['a typed frame named message', '{"type":"message","to":22,"text":"x"}', 'UNKNOWN_TYPE', 22],
    ['read without friendId', '{"type":"read","seq":3}', 'INVALID_FRAME', null],
    ['read with seq 0', '{"type":"read","friendId":22,"seq":0}', 'INVALID_FRAME', 22],
    ['read with a string seq', '{"type":"read","friendId":22,"seq":"3"}', 'INVALID_FRAME', 22],
    ['typing without friendId', '{"type":"typing"}', 'INVALID_FRAME', null],
  ])('refuses %s', (_name, raw, code, to) => {
    const e = refusal(raw);
    expect(e.code).toBe(code);
    expect(e.to).toBe(to);
    expect(e.message.length).toBeGreaterThan(10);
  });

  it('keeps an emoji made of a surrogate pair and a joiner sequence', () => {
    expect(parseFrame(JSON.stringify({ to: 22, text: '👨‍👩‍👧 ok' }), rules)).toMatchObject({ type: 'send' });
  });

  it('reads the typed frames of v2', () => {
    expect(parseFrame('{"type":"read","friendId":"22","seq":17}', rules)).toEqual({ type: 'read', friendId: 22, seq: 17 });
    expect(parseFrame('{"type":"typing","friendId":22}', rules)).toEqual({ type: 'typing', friendId: 22 });
  });

  it('counts characters as code points against the limit', () => {
    expect(parseFrame(JSON.stringify({ to: 22, text: '😀'.repeat(500) }), rules)).toMatchObject({ type: 'send' });
    expect(refusal(JSON.stringify({ to: 22, text: '😀'.repeat(501) })).code).toBe('TEXT_TOO_LONG');
    expect(refusal(JSON.stringify({ to: 22, text: 'abc' }), { ...rules, textMaxLength: 2 }).message).toContain('2');
  });
});

describe('readId', () => {
  it.each([
    [22, 22],
    ['22', 22],
    // Integer.parseInt, as the old server read ids, takes no spaces: `"to":" 6"` is refused.
    [' 22 ', null],
    ['22 ', null],
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

  it('shapes the ack frame; v2 adds the position', () => {
    expect(JSON.stringify(ackFrame('c1', { id: 9, time: '2019-05-27 21:31:56', seq: 4 }))).toBe(
      '{"type":"ack","clientMsgId":"c1","id":9,"time":"2019-05-27 21:31:56"}',
    );
    expect(JSON.stringify(ackFrame('c1', { id: 9, time: '2019-05-27 21:31:56', seq: 4 }, 2))).toBe(
      '{"type":"ack","clientMsgId":"c1","id":9,"time":"2019-05-27 21:31:56","seq":4}',
    );
  });

  it('gives v2 message frames the position and the sender’s clientMsgId, legacy frames neither', () => {
    const m = { id: 9, senderId: 23, to: 22, text: 'x', time: '2019-05-27 21:31:56', senderName: 'n', seq: 4, clientMsgId: 'k' };
    expect(JSON.stringify(messageFrame(m))).toBe('{"sender":"n","text":"x","time":"2019-05-27 21:31:56","id":9,"senderId":23,"to":22}');
    expect(JSON.stringify(messageFrame(m, 2))).toBe(
      '{"sender":"n","text":"x","time":"2019-05-27 21:31:56","id":9,"senderId":23,"to":22,"seq":4,"clientMsgId":"k"}',
    );
  });

  it('echoes the clientMsgId of the frame an error answers, and only then', () => {
    expect(JSON.stringify(errorFrame(22, 'r', 't', 'TEXT_EMPTY', 'k1'))).toBe(
      '{"id":null,"sender":0,"to":22,"text":"r","createTime":"t","code":"TEXT_EMPTY","clientMsgId":"k1"}',
    );
    expect(refusal('{"to":22,"text":"  ","clientMsgId":"k1"}').clientMsgId).toBe('k1');
    expect(refusal('{"to":22,"text":"  "}').clientMsgId).toBeUndefined();
  });

  it('shapes the typed server frames of v2', () => {
    expect(readFrame(7, 8, 12, 't')).toEqual({ type: 'read', friendId: 7, by: 8, seq: 12, time: 't' });
    expect(deliveredFrame(7, 12)).toEqual({ type: 'delivered', friendId: 7, seq: 12 });
    expect(typingFrame(7)).toEqual({ type: 'typing', friendId: 7 });
  });
});
