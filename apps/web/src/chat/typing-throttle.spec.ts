import { fakeContext, FRIEND } from '../testing/fake-context';
import { TYPING_EVERY_MS, TypingThrottle } from './typing-throttle';

describe('TypingThrottle', () => {
  it('sends typing at most every 1.5 s per conversation, and only on a v2 socket', () => {
    let now = 0;
    const { ctx, sent, socket } = fakeContext({}, { now: () => now });
    const t = new TypingThrottle(ctx);
    t.typing(FRIEND);
    t.typing(FRIEND);
    now += TYPING_EVERY_MS - 1;
    t.typing(FRIEND);
    t.typing(3);
    now += 1;
    t.typing(FRIEND);
    expect(sent).toEqual([{ type: 'typing', friendId: FRIEND }, { type: 'typing', friendId: 3 }, { type: 'typing', friendId: FRIEND }]);
    socket.v2 = false;
    now += TYPING_EVERY_MS;
    t.typing(FRIEND);
    expect(sent).toHaveLength(3);
  });

  it('does not count a frame the closed socket did not take', () => {
    let now = 0;
    const { ctx, sent, socket } = fakeContext({}, { now: () => now });
    const t = new TypingThrottle(ctx);
    socket.open = false;
    t.typing(FRIEND);
    socket.open = true;
    now += 1;
    t.typing(FRIEND);
    expect(sent).toEqual([{ type: 'typing', friendId: FRIEND }]);
  });
});
