import { Semaphore } from './semaphore';
import { SendBudget } from './send-budget';

describe('Semaphore', () => {
  it('lets `size` holders in at once and the next in arrival order as places come back', async () => {
    const s = new Semaphore(2);
    const entered: number[] = [];
    const holders = [1, 2, 3, 4].map((n) => s.take().then(() => entered.push(n)));
    await Promise.resolve();
    await Promise.resolve();
    expect(entered).toEqual([1, 2]);
    s.release();
    await holders[2];
    expect(entered).toEqual([1, 2, 3]);
    s.release();
    await holders[3];
    expect(entered).toEqual([1, 2, 3, 4]);
    // All four give their places back: two are free again.
    s.release();
    s.release();
    let fifth = false;
    let sixth = false;
    void s.take().then(() => (fifth = true));
    void s.take().then(() => (sixth = true));
    await Promise.resolve();
    expect([fifth, sixth]).toEqual([true, true]);
  });
});

describe('SendBudget', () => {
  it('counts rate refusals per fixed window', () => {
    const b = new SendBudget(1);
    expect([b.refused(5), b.refused(5), b.refused(6), b.refused(6), b.refused(6)]).toEqual([1, 2, 1, 2, 3]);
  });
});
