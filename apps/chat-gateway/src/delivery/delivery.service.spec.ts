import { InProcessMessageBus } from '@app/bus';
import { ChatConfig } from '@app/config';
import type { ConversationRepository, MemberPosition, MessageRepository } from '@app/database';
import type { ServerEvent } from '../protocol/events';
import { ChatMetrics } from '../shared/chat-metrics.service';
import type { ChatSocket } from './chat-socket';
import type { Confirmations } from './confirmations.service';
import type { DeliveredPositions } from './delivered-positions.service';
import { BusResync } from './bus-resync';
import { ConversationFlow } from './conversation-flow';
import { DeliveryService } from './delivery.service';
import { SocketRegistry } from './socket-registry';
import { UserSubscriptions } from './user-subscriptions';

const tick = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A socket that keeps each event it is given as JSON (the typed events have their frames' shape). */
function socket(userId: number, version: 1 | 2, id: string): ChatSocket & { sent: string[] } {
  const sent: string[] = [];
  return {
    id,
    userId,
    version,
    isOpen: true,
    closed: new Promise(() => undefined),
    overBudget: false,
    sent,
    send: (event: ServerEvent) => (sent.push(JSON.stringify(event)), true),
    onDrain: () => undefined,
    confirm: () => Promise.resolve(true),
    close: () => undefined,
  };
}

/** Delivery over an in-process bus, with the database's conversation positions answered when the test says. */
function delivery() {
  const bus = new InProcessMessageBus();
  let answerPositions: (p: MemberPosition[]) => void = () => undefined;
  const conversations = { positions: () => new Promise<MemberPosition[]>((r) => (answerPositions = r)) } as unknown as ConversationRepository;
  const confirmations = { now: () => Promise.resolve(true), closed: () => undefined, schedule: () => undefined } as unknown as Confirmations;
  const positions = { settled: () => Promise.resolve() } as unknown as DeliveredPositions;
  const registry = new SocketRegistry();
  const config = new ChatConfig();
  const flow = new ConversationFlow({} as MessageRepository, confirmations, config, metrics);
  const service = new DeliveryService(
    bus,
    registry,
    new UserSubscriptions(bus),
    conversations,
    flow,
    new BusResync(registry, conversations, flow, config),
    confirmations,
    positions,
    config,
    metrics,
  );
  service.onModuleInit();
  return { bus, service, answerPositions: (p: MemberPosition[]) => answerPositions(p) };
}
const metrics = new ChatMetrics();

describe('DeliveryService: receipts for a socket still attaching', () => {
  const user = 5;
  const friend = 7;
  const upToDate: MemberPosition[] = [{ friendId: friend, conversationId: 1, lastSeq: 4, receivedSeq: 3, deliveredSeq: 3 }];

  it('holds the latest receipt of each kind until the socket is attached, and drops typing', async () => {
    const { bus, service, answerPositions } = delivery();
    const s = socket(user, 2, 'i/1');
    const attached = service.attach(s);
    await tick();
    // The friend read up to 2, then 4; the user's other device read up to 3; the friend's device received 4.
    await bus.publish([user], { type: 'read', by: friend, friendId: user, seq: 2, time: '2024-01-01 00:00:00' });
    await bus.publish([user], { type: 'read', by: friend, friendId: user, seq: 4, time: '2024-01-01 00:00:01' });
    await bus.publish([user], { type: 'read', by: user, friendId: friend, seq: 3, time: '2024-01-01 00:00:02' });
    await bus.publish([user], { type: 'delivered', by: friend, friendId: user, seq: 4 });
    await bus.publish([user], { type: 'typing', by: friend, friendId: user });
    expect(s.sent).toEqual([]);

    answerPositions(upToDate);
    await attached;
    expect(s.sent.map((f) => JSON.parse(f))).toEqual([
      { type: 'read', friendId: friend, by: friend, seq: 4, time: '2024-01-01 00:00:01' },
      { type: 'read', friendId: friend, by: user, seq: 3, time: '2024-01-01 00:00:02' },
      { type: 'delivered', friendId: friend, seq: 4 },
    ]);
    // Attached: receipts and typing go straight out, nothing held comes twice.
    await bus.publish([user], { type: 'typing', by: friend, friendId: user });
    expect(s.sent.slice(3).map((f) => JSON.parse(f))).toEqual([{ type: 'typing', friendId: friend }]);
  });

  it('never holds anything for a legacy socket', async () => {
    const { bus, service, answerPositions } = delivery();
    const s = socket(user, 1, 'i/2');
    const attached = service.attach(s);
    await tick();
    await bus.publish([user], { type: 'read', by: friend, friendId: user, seq: 2, time: '2024-01-01 00:00:00' });
    answerPositions(upToDate);
    await attached;
    await bus.publish([user], { type: 'delivered', by: friend, friendId: user, seq: 4 });
    expect(s.sent).toEqual([]);
  });
});
