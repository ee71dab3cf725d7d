import { ConversationOrder, MAX_HELD, OrderAction } from './conversation-order';

const msg = (seq: number) => ({ kind: 'message' as const, seq, message: `m${seq}` });
const own = (seq: number) => ({ kind: 'own' as const, seq });
const writes = (actions: OrderAction<string>[]) => actions.flatMap((a) => (a.kind === 'write' ? [a.message] : []));
const rows = (...seqs: number[]) => seqs.map((seq) => ({ seq, message: `m${seq}` }));

describe('ConversationOrder', () => {
  it('writes in-order messages at once and ignores what the socket already had', () => {
    const o = new ConversationOrder<string>(5);
    expect(writes(o.offer(msg(5)))).toEqual(['m5']);
    expect(writes(o.offer(msg(6)))).toEqual(['m6']);
    expect(o.offer(msg(6))).toEqual([]);
    expect(o.offer(msg(3))).toEqual([]);
    expect(o.state.kind).toBe('in-order');
    expect(o.contiguous).toBe(6);
  });

  it('holds a message that skipped a position until the missing one arrives', () => {
    const o = new ConversationOrder<string>(1);
    expect(o.offer(msg(2))).toEqual([{ kind: 'wait' }]);
    expect(o.state.kind).toBe('holding');
    expect(writes(o.offer(msg(1)))).toEqual(['m1', 'm2']);
    expect(o.state.kind).toBe('in-order');
  });

  it("takes the socket's own sends as positions it has, never writing them", () => {
    const o = new ConversationOrder<string>(1);
    expect(o.offer(own(1))).toEqual([]);
    expect(o.offer(msg(3))).toEqual([{ kind: 'wait' }]);
    expect(writes(o.offer(own(2)))).toEqual(['m3']);
    expect(o.contiguous).toBe(3);
  });

  it('reads a gap from the database after the wait, then releases what was held, in order', () => {
    const o = new ConversationOrder<string>(1);
    o.offer(msg(3));
    o.offer(msg(4));
    expect(o.timedOut()).toEqual([{ kind: 'read', from: 1, to: 4 }]);
    expect(writes(o.readDone({ rows: rows(1, 2, 3, 4), coveredTo: 4 }))).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(o.state.kind).toBe('in-order');
    expect(o.next).toBe(5);
  });

  it('arms no second read for a message held while a read is in flight', () => {
    const o = new ConversationOrder<string>(1);
    o.offer(msg(3));
    o.timedOut();
    expect(o.offer(msg(7))).toEqual([]);
    expect(o.offer(msg(2))).toEqual([]);
    expect(o.state).toEqual({ kind: 'reading', from: 1, to: 3 });
  });

  it('after a read, keeps holding what lies beyond a further gap and reads that gap too (no release out of order)', () => {
    const o = new ConversationOrder<string>(1);
    o.offer(msg(3));
    o.timedOut(); // reads 1..3
    o.offer(msg(7)); // held above the range, 4..6 missing
    const after = o.readDone({ rows: rows(1, 2, 3), coveredTo: 3 });
    expect(writes(after)).toEqual(['m1', 'm2', 'm3']);
    expect(after).toContainEqual({ kind: 'wait' });
    expect(o.state.kind).toBe('holding');
    expect(o.timedOut()).toEqual([{ kind: 'read', from: 4, to: 7 }]);
    expect(writes(o.readDone({ rows: rows(4, 5, 6, 7), coveredTo: 7 }))).toEqual(['m4', 'm5', 'm6', 'm7']);
  });

  it('continues a paged read where the page ended', () => {
    const o = new ConversationOrder<string>(1);
    o.offer(msg(5));
    o.timedOut();
    const page = o.readDone({ rows: rows(1, 2), coveredTo: 2 });
    expect(writes(page)).toEqual(['m1', 'm2']);
    expect(page).toContainEqual({ kind: 'read', from: 3, to: 5 });
    expect(writes(o.readDone({ rows: rows(3, 4, 5), coveredTo: 5 }))).toEqual(['m3', 'm4', 'm5']);
  });

  it('never echoes an own send that a read returns', () => {
    const o = new ConversationOrder<string>(1);
    o.offer(msg(3));
    o.timedOut();
    o.offer(own(2));
    expect(writes(o.readDone({ rows: rows(1, 2, 3), coveredTo: 3 }))).toEqual(['m1', 'm3']);
  });

  it('skips positions a friend-only read accounts for without rows (the user’s own messages)', () => {
    const o = new ConversationOrder<string>(3);
    expect(o.catchUp(6)).toEqual([{ kind: 'read', from: 3, to: 6 }]);
    o.offer(msg(7));
    expect(writes(o.readDone({ rows: rows(3, 5), coveredTo: 6 }))).toEqual(['m3', 'm5', 'm7']);
    expect(o.next).toBe(8);
  });

  it('waits and reads again when a read fails, releasing nothing out of order', () => {
    const o = new ConversationOrder<string>(1);
    o.offer(msg(2));
    o.timedOut();
    expect(o.readFailed()).toEqual([{ kind: 'wait' }]);
    expect(o.timedOut()).toEqual([{ kind: 'read', from: 1, to: 2 }]);
  });

  it('while lagging writes and holds nothing, keeps own positions, and reads the rest once resumed', () => {
    const o = new ConversationOrder<string>(1);
    o.offer(msg(1));
    o.suspend();
    expect(o.offer(msg(2))).toEqual([]);
    expect(o.offer(own(3))).toEqual([]);
    expect(o.offer(msg(4))).toEqual([]);
    expect(o.resume()).toEqual([{ kind: 'read', from: 2, to: 4 }]);
    expect(writes(o.readDone({ rows: rows(2, 3, 4), coveredTo: 4 }))).toEqual(['m2', 'm4']);
  });

  it('bounds what it holds; the rest is read from the database', () => {
    const o = new ConversationOrder<string>(1);
    for (let seq = 2; seq <= MAX_HELD + 10; seq++) o.offer(msg(seq));
    expect(o.timedOut()).toEqual([{ kind: 'read', from: 1, to: MAX_HELD + 10 }]);
    const all = Array.from({ length: MAX_HELD + 10 }, (_, i) => i + 1);
    expect(writes(o.readDone({ rows: rows(...all), coveredTo: MAX_HELD + 10 }))).toEqual(all.map((s) => `m${s}`));
  });
});
