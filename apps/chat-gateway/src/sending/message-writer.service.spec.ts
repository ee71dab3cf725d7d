import { ChatConfig } from '@app/config';
import { MessageStore, NewMessage, OutcomeUnknownError, StoredMessage, StoreExpiredError, StoreResult } from '@app/database';
import { GUARD_MARGIN_MS, MessageWriter, STALLED_AFTER_FAILURES, WriteOutcome } from './message-writer.service';

/** A store stand-in that records batches and settles them when told to. */
class FakeStore {
  batches: NewMessage[][] = [];
  deadlines: number[] = [];
  concurrentWrites = false;
  private settle: (() => void)[] = [];
  fail: Error | null = null;
  stored = new Map<string, StoredMessage>();
  private nextId = 1;
  private early = 0;

  storeBatch(items: readonly NewMessage[], deadline: number): Promise<StoreResult[]> {
    this.batches.push([...items]);
    this.deadlines.push(deadline);
    return new Promise((resolve, reject) => {
      const settle = () => {
        if (this.fail) return reject(this.fail);
        resolve(
          items.map((m) => {
            const message = { ...m, id: this.nextId++, seq: this.nextId };
            this.stored.set(m.text, message);
            return { status: 'stored', message };
          }),
        );
      };
      if (this.early > 0) {
        this.early -= 1;
        settle();
      } else this.settle.push(settle);
    });
  }

  findStored(items: readonly NewMessage[]): Promise<Map<number, StoredMessage>> {
    const out = new Map<number, StoredMessage>();
    items.forEach((m, i) => this.stored.has(m.text) && out.set(i, this.stored.get(m.text)!));
    return Promise.resolve(out);
  }

  /** Settles the oldest batch; called before that batch started, it settles it as soon as it does. */
  release(): void {
    const next = this.settle.shift();
    if (next) next();
    else this.early += 1;
  }
}

const msg = (i: number): NewMessage => ({ senderId: 1, to: 2, text: `m${i}`, time: '2026-01-01 00:00:00' });
const tick = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const far = () => Date.now() + 60_000;
const message = (o: WriteOutcome) => {
  if (o.kind !== 'stored' && o.kind !== 'duplicate') throw new Error(`not stored: ${o.kind}`);
  return o.message;
};

/** Turns the event loop until `done` holds (bounded): no guessing how many turns a step takes. */
const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await tick(1);
  expect(done()).toBe(true);
};

describe('MessageWriter', () => {
  let store: FakeStore;
  let writer: MessageWriter;

  beforeEach(() => {
    store = new FakeStore();
    writer = new MessageWriter(store as unknown as MessageStore, Object.assign(new ChatConfig(), { storeBatchMax: 3 }));
  });

  it('writes a lone message at once, in a batch of one', async () => {
    const p = writer.submit(msg(1), far());
    await tick();
    expect(store.batches).toEqual([[msg(1)]]);
    store.release();
    expect(message(await p)).toMatchObject({ id: 1, text: 'm1' });
  });

  it('groups what arrives while a write is in flight, capped by the batch size, in order', async () => {
    const first = writer.submit(msg(0), far());
    await tick();
    const rest = [1, 2, 3, 4].map((i) => writer.submit(msg(i), far()));
    await tick();
    expect(store.batches).toHaveLength(1); // one write at a time
    store.release();
    await first;
    await until(() => store.batches.length === 2);
    expect(store.batches[1]).toEqual([msg(1), msg(2), msg(3)]);
    store.release();
    await until(() => store.batches.length === 3);
    expect(store.batches[2]).toEqual([msg(4)]);
    store.release();
    const results = await Promise.all(rest);
    expect(results.map((r) => message(r).id)).toEqual([2, 3, 4, 5]);
  });

  it('writes a batch once its admissions say yes, leaving out the sends they refuse, in order', async () => {
    let admitFirst!: (ok: boolean) => void;
    let admitThird!: (ok: boolean) => void;
    const a = writer.submit(msg(1), far(), new Promise((r) => (admitFirst = r)));
    const b = writer.submit(msg(2), far());
    const c = writer.submit(msg(3), far(), new Promise((r) => (admitThird = r)));
    await tick();
    // The count of the first is still under way: nothing reaches the database before it.
    expect(store.batches).toEqual([]);
    admitFirst(true);
    await tick();
    expect(store.batches).toEqual([]);
    admitThird(false);
    await until(() => store.batches.length === 1);
    expect(store.batches[0]).toEqual([msg(1), msg(2)]);
    expect(await c).toEqual({ kind: 'inadmissible' });
    store.release();
    expect([message(await a).text, message(await b).text]).toEqual(['m1', 'm2']);
  });

  it('gives a send whose admission is still under way at its deadline the deadline answer', async () => {
    const p = writer.submit(msg(1), Date.now() + 30, new Promise<boolean>(() => undefined));
    expect(await p).toEqual({ kind: 'failed' });
    expect(store.batches).toEqual([]);
    // The batch it held up is over: the next send is written.
    const next = writer.submit(msg(2), far());
    await until(() => store.batches.length === 1);
    expect(store.batches[0]).toEqual([msg(2)]);
    store.release();
    expect(message(await next).text).toBe('m2');
  });

  it('answers every message of a failed batch as not stored and carries on with the next', async () => {
    store.fail = new Error('database down');
    const a = writer.submit(msg(1), far());
    const b = writer.submit(msg(2), far());
    await tick();
    store.release();
    expect(await a).toEqual({ kind: 'failed' });
    expect(await b).toEqual({ kind: 'failed' });
    store.fail = null;
    const c = writer.submit(msg(3), far());
    await tick();
    store.release();
    expect(message(await c)).toMatchObject({ text: 'm3' });
  });

  it('drains what is queued before shutdown completes', async () => {
    const p = writer.submit(msg(1), far());
    let drained = false;
    const d = writer.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    store.release();
    await d;
    expect((await p).kind).toBe('stored');
  });

  it('writes different conversations side by side, each one in arrival order', async () => {
    const sharded = new FakeStore();
    sharded.concurrentWrites = true;
    const w = new MessageWriter(sharded as unknown as MessageStore, Object.assign(new ChatConfig(), { storeBatchMax: 10, storeShards: 2 }));
    const conv = (to: number, i: number): NewMessage => ({ senderId: 1, to, text: `${to}:${i}`, time: 't' });
    // (1,2) and (1,3) fall on different shards: 1*31+2 and 1*31+3 differ in parity.
    const writes = [w.submit(conv(2, 1), far()), w.submit(conv(3, 1), far())];
    await tick();
    expect(sharded.batches).toHaveLength(2); // both conversations in flight at once
    writes.push(w.submit(conv(2, 2), far()));
    await tick();
    expect(sharded.batches).toHaveLength(2); // the same conversation waits for its earlier batch
    sharded.release();
    await until(() => sharded.batches.length === 3);
    expect(sharded.batches[2]).toEqual([conv(2, 2)]);
    sharded.release();
    sharded.release();
    const stored = await Promise.all(writes);
    expect(stored.map((r) => message(r).text)).toEqual(['2:1', '3:1', '2:2']);
  });

  it("asks the database to refuse the batch after the earliest sender's deadline, less a margin", async () => {
    const deadline = Date.now() + 30_000;
    const p = writer.submit(msg(1), deadline);
    void writer.submit(msg(2), deadline + 5000);
    await tick();
    expect(store.deadlines[0]).toBe(deadline - GUARD_MARGIN_MS);
    store.release();
    await p;
  });

  it('withdraws a send still queued at its deadline: answered failed, never sent to the database', async () => {
    const first = writer.submit(msg(1), far());
    await tick();
    const queued = writer.submit(msg(2), Date.now() + 30);
    expect(await queued).toEqual({ kind: 'failed' });
    store.release();
    await first;
    await tick();
    expect(store.batches.flat().map((m) => m.text)).toEqual(['m1']);
  });

  it('answers a send on its way at the deadline, then says later whether the database stored it', async () => {
    const p = writer.submit(msg(1), Date.now() + 30);
    const outcome = await p;
    if (outcome.kind !== 'timeout') throw new Error(`expected a timeout, got ${outcome.kind}`);
    store.release();
    expect(await outcome.later).toMatchObject({ text: 'm1' });
  });

  it('reports a batch the database refused for its deadline as not stored', async () => {
    store.fail = new StoreExpiredError();
    const p = writer.submit(msg(1), far());
    await tick();
    store.release();
    expect(await p).toEqual({ kind: 'failed' });
  });

  it('after a lost connection, answers at once and looks the messages up to tell which were stored', async () => {
    store.fail = new OutcomeUnknownError(new Error('ECONNRESET'));
    store.stored.set('m1', { id: 7, senderId: 1, to: 2, text: 'm1', time: 't', seq: 3 });
    const a = writer.submit(msg(1), Date.now() + 50);
    const b = writer.submit(msg(2), Date.now() + 50);
    await tick();
    store.release();
    const [oa, ob] = await Promise.all([a, b]);
    if (oa.kind !== 'timeout' || ob.kind !== 'timeout') throw new Error('expected timeouts');
    expect(await oa.later).toMatchObject({ id: 7 });
    expect(await ob.later).toBeNull();
  });

  describe('progress (readiness)', () => {
    it('is not ok while a batch waits longer than the store timeout, and ok again once it is stored', async () => {
      const w = new MessageWriter(store as unknown as MessageStore, Object.assign(new ChatConfig(), { storeBatchMax: 3, storeTimeoutMs: 50 }));
      const p = w.submit(msg(1), far());
      await until(() => store.batches.length === 1);
      expect(w.progress()).toMatchObject({ ok: true, outstanding: 1 });
      await new Promise((r) => setTimeout(r, 80));
      expect(w.progress()).toMatchObject({ ok: false, reason: expect.stringContaining('has waited') });
      store.release();
      await p;
      expect(w.progress()).toMatchObject({ ok: true, outstanding: 0 });
      await w.onApplicationShutdown();
    });

    it(`is not ok after ${STALLED_AFTER_FAILURES} batches failed in a row, and ok again once one is stored`, async () => {
      store.fail = new Error('connect ETIMEDOUT');
      for (let i = 0; i < STALLED_AFTER_FAILURES; i++) {
        const p = writer.submit(msg(i), far());
        store.release();
        await expect(p).resolves.toEqual({ kind: 'failed' });
      }
      expect(writer.progress()).toMatchObject({ ok: false, reason: expect.stringContaining('ETIMEDOUT'), failuresInARow: STALLED_AFTER_FAILURES });
      store.fail = null;
      const ok = writer.submit(msg(9), far());
      store.release();
      await expect(ok).resolves.toMatchObject({ kind: 'stored' });
      expect(writer.progress()).toMatchObject({ ok: true, failuresInARow: 0 });
    });

    it('does not count a batch that reached the database after its deadline as a failure', async () => {
      store.fail = new StoreExpiredError();
      for (let i = 0; i < STALLED_AFTER_FAILURES; i++) {
        const p = writer.submit(msg(i), far());
        store.release();
        await p;
      }
      expect(writer.progress()).toMatchObject({ ok: true, failuresInARow: 0 });
    });
  });
});
