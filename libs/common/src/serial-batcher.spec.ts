import { SerialBatcher } from './serial-batcher';

const tick = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A write that records its batches and finishes when the test says so. */
function recorder() {
  const batches: number[][] = [];
  const finish: (() => void)[] = [];
  const write = (batch: number[]) => {
    batches.push(batch);
    return new Promise<void>((resolve) => finish.push(resolve));
  };
  return { batches, finish, write };
}

describe('SerialBatcher', () => {
  it('writes one batch at a time by default, gathering what arrives meanwhile', async () => {
    const r = recorder();
    const b = new SerialBatcher(r.write, 10);
    b.push(1);
    await tick();
    b.push(2);
    b.push(3);
    await tick();
    expect(r.batches).toEqual([[1]]);
    r.finish[0]();
    await tick();
    expect(r.batches).toEqual([[1], [2, 3]]);
  });

  it('drains everything queued and in flight', async () => {
    const r = recorder();
    const b = new SerialBatcher(r.write, 1);
    b.push(1);
    b.push(2);
    let drained = false;
    const d = b.drain().then(() => (drained = true));
    await tick();
    r.finish[0]();
    await tick();
    expect(drained).toBe(false);
    r.finish[1]();
    await d;
    expect(r.batches).toEqual([[1], [2]]);
  });
});
