import { fakeContext, FRIEND } from '../testing/fake-context';
import { OutboxSender } from './outbox-sender';
import type { KeyValueStorage } from './outbox';

function memoryStorage(): KeyValueStorage {
  const data = new Map<string, string>();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('OutboxSender', () => {
  it('sends with a clientMsgId, turns the ack into a sent message and counts it in the list', () => {
    const { ctx, sent, conversation } = fakeContext();
    const store = conversation();
    const s = new OutboxSender(ctx, memoryStorage());
    s.send(FRIEND, 'hi');
    const frame = sent[0] as { to: number; text: string; clientMsgId: string };
    expect(frame).toEqual({ to: FRIEND, text: 'hi', clientMsgId: expect.any(String) });
    expect(store.get().messages[0].status).toBe('sending');
    s.acked({ clientMsgId: frame.clientMsgId, id: 7, seq: 1, time: '2026-12-01 10:00:00' });
    expect(store.get().messages[0]).toMatchObject({ id: 7, status: 'sent' });
    expect(ctx.list.get().items[0]).toMatchObject({ friendId: FRIEND });
  });

  it('matches an error without clientMsgId to the oldest unanswered send; by clientMsgId otherwise', () => {
    const { ctx, sent, conversation } = fakeContext();
    const store = conversation();
    const s = new OutboxSender(ctx, memoryStorage());
    s.send(FRIEND, 'one');
    s.send(FRIEND, 'two');
    s.send(FRIEND, 'three');
    const [a, b, c] = sent as { clientMsgId: string }[];
    expect(s.refused({ reason: 'slow down', code: 'RATE_LIMITED' })).toBe(true);
    expect(s.refused({ reason: 'too long', code: 'TEXT_TOO_LONG', clientMsgId: c.clientMsgId })).toBe(true);
    const byId = new Map(store.get().messages.map((m) => [m.clientMsgId, m]));
    expect(byId.get(a.clientMsgId)).toMatchObject({ status: 'failed', error: 'slow down', retryable: true });
    expect(byId.get(b.clientMsgId)).toMatchObject({ status: 'sending' });
    expect(byId.get(c.clientMsgId)).toMatchObject({ status: 'failed', error: 'too long', retryable: false });
  });

  it('has nothing to match once every send is answered', () => {
    const { ctx } = fakeContext();
    const s = new OutboxSender(ctx, memoryStorage());
    expect(s.refused({ reason: 'who?' })).toBe(false);
  });

  it('resends what is not failed after a connect with the same clientMsgId, and keeps it across a reload', () => {
    const storage = memoryStorage();
    const { ctx, sent, socket, conversation } = fakeContext();
    conversation();
    socket.open = false;
    new OutboxSender(ctx, storage).send(FRIEND, 'offline');
    expect(sent).toEqual([]);
    const reloaded = fakeContext();
    const store = reloaded.conversation();
    const s = new OutboxSender(reloaded.ctx, storage);
    store.set((st) => s.withPending(st, FRIEND));
    expect(store.get().messages.map((m) => m.text)).toEqual(['offline']);
    s.resend();
    expect(reloaded.sent).toEqual([{ to: FRIEND, text: 'offline', clientMsgId: store.get().messages[0].clientMsgId }]);
  });

  it('settles when every send is answered, when the socket drops, or after the timeout', async () => {
    jest.useFakeTimers();
    try {
      const { ctx, sent, conversation } = fakeContext();
      conversation();
      const s = new OutboxSender(ctx, memoryStorage());
      await s.settled(10); // nothing in flight: at once
      s.send(FRIEND, 'a');
      let done = false;
      void s.settled(3000).then(() => (done = true));
      await Promise.resolve();
      expect(done).toBe(false);
      s.acked({ clientMsgId: (sent[0] as { clientMsgId: string }).clientMsgId, id: 1, time: '' });
      await Promise.resolve();
      expect(done).toBe(true);

      s.send(FRIEND, 'b');
      let dropped = false;
      void s.settled(3000).then(() => (dropped = true));
      s.dropInflight();
      await Promise.resolve();
      expect(dropped).toBe(true);

      s.send(FRIEND, 'c');
      let timedOut = false;
      void s.settled(3000).then(() => (timedOut = true));
      jest.advanceTimersByTime(3000);
      await Promise.resolve();
      expect(timedOut).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('retries a failed send and discards one the user gives up', () => {
    const { ctx, sent, conversation } = fakeContext();
    const store = conversation();
    const s = new OutboxSender(ctx, memoryStorage());
    s.send(FRIEND, 'x');
    const id = (sent[0] as { clientMsgId: string }).clientMsgId;
    s.refused({ reason: 'busy', code: 'STORE_UNAVAILABLE', clientMsgId: id });
    s.retry(id);
    expect(sent[1]).toEqual(sent[0]);
    expect(store.get().messages[0].status).toBe('sending');
    s.discard(id);
    expect(store.get().messages).toEqual([]);
  });
});
