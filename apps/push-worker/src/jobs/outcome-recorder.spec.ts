import type { JobEnd, PushJobRepository } from '@app/database';
import { Lease } from './lease';
import { OutcomeRecorder } from './outcome-recorder';

/** A repository whose finishMany records its calls and answers when the test says so. */
function fakeJobs() {
  const calls: { owner: string; ids: number[]; answer: (ours: number[]) => void; fail: (e: Error) => void }[] = [];
  const jobs = {
    finishMany: (owner: string, ends: { id: number; end: JobEnd }[]) =>
      new Promise<Set<number>>((resolve, reject) => calls.push({ owner, ids: ends.map((e) => e.id), answer: (ours) => resolve(new Set(ours)), fail: reject })),
  } as unknown as PushJobRepository;
  return { jobs, calls };
}
const tick = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const sent: JobEnd = { state: 'sent', at: 1, count: 1 };

describe('OutcomeRecorder', () => {
  it('writes a lone outcome at once and groups those that end while a write is on its way', async () => {
    const { jobs, calls } = fakeJobs();
    const recorder = new OutcomeRecorder(jobs, new Lease('w1', 30_000, 1000));
    const first = recorder.record(1, sent);
    await tick();
    const [second, third] = [recorder.record(2, sent), recorder.record(3, { state: 'skipped', at: 1, outcome: 'delivered' })];
    await tick();
    expect(calls.map((c) => [c.owner, c.ids])).toEqual([['w1', [1]]]);
    calls[0].answer([1]);
    await expect(first).resolves.toBe(true);
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([[1], [2, 3]]);
    // Job 3's lease had passed to another worker.
    calls[1].answer([2]);
    await expect(second).resolves.toBe(true);
    await expect(third).resolves.toBe(false);
  });

  it('rejects every outcome of a group the outbox could not take, and goes on with the next', async () => {
    const { jobs, calls } = fakeJobs();
    const recorder = new OutcomeRecorder(jobs, new Lease('w1', 30_000, 1000));
    const [a, b] = [recorder.record(1, sent), recorder.record(2, sent)];
    await tick();
    calls[0].fail(new Error('Lock wait timeout exceeded'));
    await expect(a).rejects.toThrow('Lock wait timeout exceeded');
    await expect(b).rejects.toThrow('Lock wait timeout exceeded');
    const c = recorder.record(3, sent);
    await tick();
    calls[1].answer([3]);
    await expect(c).resolves.toBe(true);
    await recorder.drain();
  });
});
