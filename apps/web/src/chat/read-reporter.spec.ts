import { fakeContext, FRIEND, item } from '../testing/fake-context';
import { mergeServerMessages } from '../store/conversation.state';
import { READ_EVERY_MS, ReadReporter } from './read-reporter';

describe('ReadReporter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports the newest position once per batch as a read frame, and moves the conversation at once', () => {
    const { ctx, sent, conversation } = fakeContext();
    const store = conversation();
    store.set((s) => mergeServerMessages(s, [item(10, 1, FRIEND), item(11, 2, FRIEND), item(12, 3, FRIEND)]));
    const r = new ReadReporter(ctx);
    r.seen(FRIEND, 1);
    r.seen(FRIEND, 3);
    r.seen(FRIEND, 2); // older than what is known: nothing
    expect(store.get().readSeq).toBe(3);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(READ_EVERY_MS);
    expect(sent).toEqual([{ type: 'read', friendId: FRIEND, seq: 3 }]);
    r.seen(FRIEND, 3);
    jest.advanceTimersByTime(READ_EVERY_MS);
    expect(sent).toHaveLength(1);
  });

  it('reports over HTTP when no v2 socket is open', () => {
    const markRead = jest.fn(() => Promise.resolve({ friendId: FRIEND, readSeq: 4 }));
    const { ctx, sent, socket } = fakeContext({ markRead } as never);
    socket.v2 = false;
    const r = new ReadReporter(ctx);
    r.queue(FRIEND, 4);
    jest.advanceTimersByTime(READ_EVERY_MS);
    expect(sent).toEqual([]);
    expect(markRead).toHaveBeenCalledWith('t', FRIEND, 4);
  });

  it('sends nothing after stop', () => {
    const { ctx, sent } = fakeContext();
    const r = new ReadReporter(ctx);
    r.queue(FRIEND, 1);
    r.stop();
    jest.advanceTimersByTime(READ_EVERY_MS * 2);
    expect(sent).toEqual([]);
  });
});
