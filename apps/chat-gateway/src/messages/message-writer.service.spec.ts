import { ChatConfig } from '@app/config';
import { MessageRepository, NewMessage, StoreResult } from '@app/database';
import { MessageWriter } from './message-writer.service';

/** A repository stand-in that records batches and settles them when told to. */
class FakeRepository {
  batches: NewMessage[][] = [];
  private settle: (() => void)[] = [];
  fail = false;
  private nextId = 1;
  private early = 0;

  storeBatch(items: readonly NewMessage[]): Promise<StoreResult[]> {
    this.batches.push([...items]);
    return new Promise((resolve, reject) => {
      const settle = () =>
        this.fail
          ? reject(new Error('database down'))
          : resolve(items.map((m) => ({ message: { ...m, id: this.nextId++ }, duplicate: false })));
      if (this.early > 0) {
        this.early -= 1;
        settle();
      } else this.settle.push(settle);
    });
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

/** Turns the event loop until `done` holds (bounded): no guessing how many turns a step takes. */
const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await tick(1);
  expect(done()).toBe(true);
};

describe('MessageWriter', () => {
  let repo: FakeRepository;
  let writer: MessageWriter;

  beforeEach(() => {
    repo = new FakeRepository();
    writer = new MessageWriter(repo as unknown as MessageRepository, Object.assign(new ChatConfig(), { storeBatchMax: 3 }));
  });

  it('writes a lone message at once, in a batch of one', async () => {
    const p = writer.write(msg(1));
    await tick();
    expect(repo.batches).toEqual([[msg(1)]]);
    repo.release();
    await expect(p).resolves.toMatchObject({ message: { id: 1, text: 'm1' } });
  });

  it('groups what arrives while a write is in flight, capped by the batch size, in order', async () => {
    const first = writer.write(msg(0));
    await tick();
    const rest = [1, 2, 3, 4].map((i) => writer.write(msg(i)));
    await tick();
    expect(repo.batches).toHaveLength(1); // one write at a time
    repo.release();
    await first;
    await until(() => repo.batches.length === 2);
    expect(repo.batches[1]).toEqual([msg(1), msg(2), msg(3)]);
    repo.release();
    await until(() => repo.batches.length === 3);
    expect(repo.batches[2]).toEqual([msg(4)]);
    repo.release();
    const results = await Promise.all(rest);
    expect(results.map((r) => r.message.id)).toEqual([2, 3, 4, 5]);
  });

  it('rejects every message of a failed batch and carries on with the next', async () => {
    repo.fail = true;
    const a = writer.write(msg(1));
    const b = writer.write(msg(2));
    await tick();
    repo.release();
    await expect(a).rejects.toThrow('database down');
    await expect(b).rejects.toThrow('database down');
    repo.fail = false;
    const c = writer.write(msg(3));
    await tick();
    repo.release();
    await expect(c).resolves.toMatchObject({ message: { text: 'm3' } });
  });

  it('drains what is queued before shutdown completes', async () => {
    const p = writer.write(msg(1));
    let drained = false;
    const d = writer.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    repo.release();
    await d;
    await expect(p).resolves.toBeDefined();
  });

  it('writes different conversations side by side, each one in arrival order', async () => {
    const sharded = new FakeRepository() as FakeRepository & { concurrentWrites: boolean };
    sharded.concurrentWrites = true;
    const w = new MessageWriter(sharded as unknown as MessageRepository, Object.assign(new ChatConfig(), { storeBatchMax: 10, storeShards: 2 }));
    const conv = (to: number, i: number): NewMessage => ({ senderId: 1, to, text: `${to}:${i}`, time: 't' });
    // (1,2) and (1,3) fall on different shards: 1*31+2 and 1*31+3 differ in parity.
    const writes = [w.write(conv(2, 1)), w.write(conv(3, 1))];
    await tick();
    expect(sharded.batches).toHaveLength(2); // both conversations in flight at once
    writes.push(w.write(conv(2, 2)));
    await tick();
    expect(sharded.batches).toHaveLength(2); // the same conversation waits for its earlier batch
    sharded.release();
    await until(() => sharded.batches.length === 3);
    expect(sharded.batches[2]).toEqual([conv(2, 2)]);
    sharded.release();
    sharded.release();
    const stored = await Promise.all(writes);
    expect(stored.map((r) => r.message.text)).toEqual(['2:1', '3:1', '2:2']);
  });
});
