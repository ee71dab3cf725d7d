import type { BusEvent, BusEventHandler, MessageBus } from '@app/bus';
import { ChatConfig } from '@app/config';
import type { ConversationRepository, DeliverableMessage, MemberPosition, MessageRepository } from '@app/database';
import type { ServerEvent } from '../protocol/events';
import { ChatMetrics } from '../shared/chat-metrics.service';
import { BusResync } from './bus-resync';
import type { ChatSocket, DrainListener } from './chat-socket';
import { Confirmations } from './confirmations.service';
import { ConversationFlow, GAP_WAIT_MS } from './conversation-flow';
import type { DeliveredPositions } from './delivered-positions.service';
import { DeliveryService } from './delivery.service';
import { SocketRegistry } from './socket-registry';
import { UserSubscriptions } from './user-subscriptions';

// The delivery core with nothing real under it: a fake bus, a fake store (conversations and
// messages in memory), fake sockets. No database, no Redis.

const USER = 5;
const FRIEND = 7;
const flush = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

class FakeBus implements MessageBus {
  private handler: BusEventHandler = () => undefined;
  private resyncHandler: () => void = () => undefined;
  private readonly subscribed = new Set<number>();
  publish(userIds: readonly number[], event: BusEvent): Promise<void> {
    for (const id of userIds) if (this.subscribed.has(id)) this.handler(id, event);
    return Promise.resolve();
  }
  subscribe(userId: number): Promise<void> {
    this.subscribed.add(userId);
    return Promise.resolve();
  }
  unsubscribe(userId: number): Promise<void> {
    this.subscribed.delete(userId);
    return Promise.resolve();
  }
  onEvent(handler: BusEventHandler): void {
    this.handler = handler;
  }
  onResync(handler: () => void): void {
    this.resyncHandler = handler;
  }
  confirmPeers(): Promise<void> {
    return Promise.resolve();
  }
  onConfirmRequest(): void {
    // one process
  }
  /** The bus came back after an outage. */
  resync(): void {
    this.resyncHandler();
  }
  isLive = () => true;
  close = () => Promise.resolve();
}

/** The conversation of USER and FRIEND in memory; `down` makes every read fail. */
class FakeStore {
  rows: DeliverableMessage[] = [];
  delivered = 0;
  down = false;
  reads = 0;
  add(senderId: number, text: string): DeliverableMessage {
    const seq = this.rows.length + 1;
    const m = { id: 100 + seq, senderId, to: senderId === USER ? FRIEND : USER, text, time: '2024-01-01 00:00:00', seq, senderName: `u${senderId}` } as DeliverableMessage;
    this.rows.push(m);
    return m;
  }
  positions(): MemberPosition[] {
    const friendRows = this.rows.filter((r) => r.senderId === FRIEND);
    const last = this.rows.length;
    return last ? [{ friendId: FRIEND, conversationId: 1, lastSeq: last, receivedSeq: friendRows.at(-1)?.seq ?? 0, deliveredSeq: this.delivered }] : [];
  }
  range(from: number, to: number, limit: number, sender?: number): Promise<DeliverableMessage[]> {
    this.reads += 1;
    if (this.down) return Promise.reject(new Error('database away'));
    return Promise.resolve(this.rows.filter((r) => r.seq >= from && r.seq <= to && (sender === undefined || r.senderId === sender)).slice(0, limit));
  }
}

class FakeSocket implements ChatSocket {
  readonly events: ServerEvent[] = [];
  isOpen = true;
  overBudget = false;
  confirms = 0;
  closedWith?: number;
  drain?: DrainListener;
  closed = new Promise<void>(() => undefined);
  constructor(
    readonly id: string,
    readonly userId = USER,
    readonly version: 1 | 2 = 2,
  ) {}
  send(event: ServerEvent): boolean {
    if (!this.isOpen) return false;
    this.events.push(event);
    return true;
  }
  onDrain(listener: DrainListener): void {
    this.drain = listener;
  }
  confirm(): Promise<boolean> {
    this.confirms += 1;
    return Promise.resolve(this.isOpen);
  }
  close(code: number): void {
    this.closedWith = code;
    this.isOpen = false;
  }
  /** The texts of the messages it was given, in order. */
  get texts(): string[] {
    return this.events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
  }
}

function core(config: Partial<ChatConfig> = {}) {
  const bus = new FakeBus();
  const store = new FakeStore();
  const recorded: [number, number, number][] = [];
  const settings = Object.assign(new ChatConfig(), { confirmDelayMs: 10, slowReaderMs: 50, ...config });
  const conversations = { positions: () => (store.down ? Promise.reject(new Error('database away')) : Promise.resolve(store.positions())) } as unknown as ConversationRepository;
  const messages = {
    findRange: (_a: number, _b: number, from: number, to: number, limit: number) => store.range(from, to, limit),
    findRangeFrom: (sender: number, _o: number, from: number, to: number, limit: number) => store.range(from, to, limit, sender),
  } as unknown as MessageRepository;
  const positions = {
    record: (userId: number, friendId: number, seq: number) => recorded.push([userId, friendId, seq]),
    settled: () => Promise.resolve(),
  } as unknown as DeliveredPositions;
  const metrics = new ChatMetrics();
  const registry = new SocketRegistry();
  const confirmations = new Confirmations(positions, settings);
  const flow = new ConversationFlow(messages, confirmations, settings, metrics);
  const resync = new BusResync(registry, conversations, flow, settings);
  const service = new DeliveryService(bus, registry, new UserSubscriptions(bus), conversations, flow, resync, confirmations, positions, settings, metrics);
  service.onModuleInit();
  /** Stores a message and publishes it, as the send path does. */
  const send = async (senderId: number, text: string, origin?: string) => {
    const m = store.add(senderId, text);
    await bus.publish([m.to, m.senderId], { type: 'message', ...m, originSocket: origin });
    return m;
  };
  return { bus, store, service, recorded, send };
}

describe('delivery core (fake bus, store and sockets)', () => {
  it('attaches with the offline backlog, in order, then live messages after it', async () => {
    const { store, service, send } = core();
    for (const t of ['a', 'b', 'c']) store.add(FRIEND, t);
    const s = new FakeSocket('r/1');
    await service.attach(s);
    await flush();
    await send(FRIEND, 'd');
    await flush();
    expect(s.texts).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reads a gap from the store when a position is skipped and the missing one never comes live', async () => {
    const { store, service, send } = core();
    const s = new FakeSocket('r/1');
    await service.attach(s);
    store.add(FRIEND, 'lost on the bus'); // stored, never published
    await send(FRIEND, 'after');
    await flush();
    expect(s.texts).toEqual([]);
    await new Promise((r) => setTimeout(r, GAP_WAIT_MS + 30));
    await flush();
    expect(s.texts).toEqual(['lost on the bus', 'after']);
  });

  it('re-reads what a bus outage lost once the bus is back', async () => {
    const { bus, store, service } = core();
    const s = new FakeSocket('r/1');
    await service.attach(s);
    store.add(FRIEND, 'published while the bus was down');
    bus.resync();
    await flush(10);
    expect(s.texts).toEqual(['published while the bus was down']);
  });

  it('stops writing to a slow reader, resumes from the store when it drains, and closes one that never does', async () => {
    const { store, service, send } = core({ slowReaderMs: 60 });
    const s = new FakeSocket('r/1');
    await service.attach(s);
    s.overBudget = true;
    await send(FRIEND, 'one');
    await send(FRIEND, 'two');
    await flush();
    expect(s.texts).toEqual(['one']);
    s.overBudget = false;
    s.drain?.(s);
    await flush(10);
    expect(s.texts).toEqual(['one', 'two']);
    expect(store.reads).toBe(1);

    s.overBudget = true;
    await send(FRIEND, 'three');
    await new Promise((r) => setTimeout(r, 90));
    expect(s.closedWith).toBe(1008);
  });

  it("gives a second device the user's own sends from another device, never back to the sending socket", async () => {
    const { service, send } = core();
    const phone = new FakeSocket('r/1');
    const laptop = new FakeSocket('r/2');
    await service.attach(phone);
    await service.attach(laptop);
    service.noteSending(phone, FRIEND);
    const m = await send(USER, 'from the phone', phone.id);
    service.noteSent(phone, m);
    await send(FRIEND, 'reply');
    await flush();
    expect(phone.texts).toEqual(['reply']);
    expect(laptop.texts).toEqual(['from the phone', 'reply']);
  });

  it('records a position as delivered only after the client confirms it, and a second device gets none of it again', async () => {
    const { store, service, send, recorded } = core();
    const s = new FakeSocket('r/1');
    await service.attach(s);
    await send(FRIEND, 'hello');
    expect(recorded).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    await flush();
    expect(s.confirms).toBe(1);
    expect(recorded).toEqual([[USER, FRIEND, 1]]);
    store.delivered = 1;
    const second = new FakeSocket('r/2');
    await service.attach(second);
    await flush();
    expect(second.texts).toEqual([]);
  });

  it('retries a failed read with backoff and delivers once the store is back', async () => {
    const { store, service, send } = core();
    const s = new FakeSocket('r/1');
    await service.attach(s);
    store.add(FRIEND, 'missing');
    store.down = true;
    await send(FRIEND, 'later');
    await new Promise((r) => setTimeout(r, GAP_WAIT_MS + 30));
    await flush();
    expect(store.reads).toBe(1);
    expect(s.texts).toEqual([]);
    store.down = false;
    await new Promise((r) => setTimeout(r, 2 * GAP_WAIT_MS + 60));
    await flush();
    expect(s.texts).toEqual(['missing', 'later']);
  });
});
