import { InProcessMessageBus } from '@app/bus';
import type { ConversationRepository } from '@app/database';
import { DeliveredPositions } from './delivered-positions.service';

// settled() is woken by the end of a write, not by polling; it still gives up at its bound.
function positions() {
  let finish: () => void = () => undefined;
  const writes: unknown[] = [];
  const conversations = {
    recordDelivered: (entries: unknown[]) => {
      writes.push(entries);
      return new Promise<void>((r) => (finish = r));
    },
  } as unknown as ConversationRepository;
  return { service: new DeliveredPositions(conversations, new InProcessMessageBus()), finish: () => finish(), writes };
}

describe('DeliveredPositions.settled', () => {
  it('resolves as soon as the write holding the user ends', async () => {
    const { service, finish, writes } = positions();
    service.record(1, 2, 3);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    let done = false;
    const settled = service.settled(1, 10_000).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    const start = Date.now();
    finish();
    await settled;
    expect(Date.now() - start).toBeLessThan(1000);
    await service.onApplicationShutdown();
  });

  it('gives up at its bound when the write does not end, and does not wait for other users', async () => {
    const { service } = positions();
    service.record(1, 2, 3);
    await new Promise((r) => setImmediate(r));
    const start = Date.now();
    await service.settled(1, 50);
    expect(Date.now() - start).toBeGreaterThanOrEqual(45);
    await expect(service.settled(9, 10_000)).resolves.toBeUndefined();
  });
});
