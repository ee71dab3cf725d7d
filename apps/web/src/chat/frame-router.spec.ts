import { fakeContext, FRIEND, item, ME } from '../testing/fake-context';
import { FrameRouter } from './frame-router';

function setup(v2 = true) {
  const f = fakeContext({}, { v2, now: () => 1_000 });
  const acked: unknown[] = [];
  const refused: unknown[] = [];
  let matches = true;
  const sender = { acked: (a: never) => void acked.push(a), refused: (r: never) => (refused.push(r), matches) };
  let reloads = 0;
  const router = new FrameRouter(f.ctx, sender, () => reloads++);
  return { ...f, router, acked, refused, reloads: () => reloads, noMatch: () => (matches = false) };
}

describe('FrameRouter', () => {
  it('puts a live message into its conversation and the list, and counts a notice when it is not open', () => {
    const { ctx, router, conversation, reloads } = setup();
    const store = conversation();
    const heard: number[] = [];
    router.onIncoming((_m, friendId) => heard.push(friendId));
    router.route({ kind: 'message', ...item(9, 1, FRIEND, 'hi') });
    expect(store.get().messages.map((m) => m.text)).toEqual(['hi']);
    expect(ctx.list.get().items[0]).toMatchObject({ friendId: FRIEND });
    expect(reloads()).toBe(1); // a conversation the list did not have: read again for its name
    expect(ctx.state.get().notices).toEqual([{ friendId: FRIEND, name: '小红', count: 1 }]);
    expect(heard).toEqual([FRIEND]);
    router.route({ kind: 'message', ...item(10, 2, ME, 'mine') });
    expect(heard).toEqual([FRIEND]);
  });

  it('hands acks and send errors to the sender; learns the server offset from an ack', () => {
    const { ctx, router, acked, refused } = setup(false);
    router.route({ kind: 'ack', clientMsgId: 'c1', id: 1, time: '2026-12-01 10:00:00' });
    router.route({ kind: 'error', to: null, reason: 'no', code: 'TEXT_TOO_LONG' });
    expect(acked).toHaveLength(1);
    expect(refused).toEqual([{ kind: 'error', to: null, reason: 'no', code: 'TEXT_TOO_LONG' }]);
    expect(typeof ctx.state.get().serverOffsetMinutes).toBe('number');
  });

  it('does not take an error without clientMsgId for a message on a v2 socket; a read refusal reads the list again', () => {
    const { ctx, router, refused, reloads } = setup(true);
    router.route({ kind: 'error', to: null, reason: 'bad frame', code: 'INVALID_FRAME' });
    expect(refused).toEqual([]);
    expect(ctx.state.get().problem).toBe('bad frame');
    router.route({ kind: 'error', to: null, reason: 'past the end', code: 'READ_PAST_END' });
    expect(reloads()).toBe(1);
  });

  it('shows a refusal no send answers as the problem', () => {
    const { ctx, router, noMatch } = setup(false);
    noMatch();
    router.route({ kind: 'error', to: null, reason: 'who?' });
    expect(ctx.state.get().problem).toBe('who?');
  });

  it('moves the ticks on delivered and read, shows typing, and clears notices on a read of my other tab', () => {
    const { ctx, router, conversation } = setup();
    const store = conversation();
    router.route({ kind: 'delivered', friendId: FRIEND, seq: 3 });
    router.route({ kind: 'read', friendId: FRIEND, by: FRIEND, seq: 2 });
    router.route({ kind: 'typing', friendId: FRIEND });
    expect(store.get()).toMatchObject({ deliveredSeq: 3, friendReadSeq: 2 });
    expect(store.get().typingUntil).toBeGreaterThan(1_000);
    ctx.state.set((s) => ({ ...s, notices: [{ friendId: FRIEND, name: '小红', count: 2 }] }));
    router.route({ kind: 'read', friendId: FRIEND, by: ME, seq: 5 });
    expect(store.get().readSeq).toBe(5);
    expect(ctx.state.get().notices).toEqual([]);
  });
});
