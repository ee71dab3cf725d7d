import { BusMessage, InProcessMessageBus } from '@app/bus';
import { MessageRepository, StoredMessage } from '@app/database';
import { UserDirectory } from '../chat/user-directory.service';
import { ChatMetrics } from '../ops/chat-metrics.service';
import { ChatSocket } from './chat-socket';
import { DeliveredMarker } from './delivered-marker.service';
import { DeliveryService, GAP_WAIT_MS } from './delivery.service';

class FakeSocket implements ChatSocket {
  frames: { id: number; text: string }[] = [];
  isOpen = true;
  constructor(
    readonly id: string,
    readonly userId: number,
  ) {}
  send(frame: object): Promise<void> {
    this.frames.push(frame as { id: number; text: string });
    return Promise.resolve();
  }
  confirm(): Promise<boolean> {
    return Promise.resolve(this.isOpen);
  }
  close(): void {
    this.isOpen = false;
  }
}

/** The conversation between users 1 and 2 as the database holds it. */
class FakeMessages {
  rows: StoredMessage[] = [];
  pending = new Set<number>();
  findPending = (userId: number, after: number) =>
    Promise.resolve(this.rows.filter((m) => m.to === userId && this.pending.has(m.id) && m.id > after));
  findConversationRange = (_a: number, _b: number, from: number, to: number) =>
    Promise.resolve(this.rows.filter((m) => m.seq! >= from && m.seq! <= to));
  findInvolvingAfter = (userId: number, after: number) =>
    Promise.resolve(this.rows.filter((m) => (m.to === userId || m.senderId === userId) && m.id > after));
  latestId = () => Promise.resolve(0);
  markDelivered = () => Promise.resolve();
}

const message = (seq: number, from = 1, to = 2): BusMessage => ({
  type: 'message',
  id: 100 + seq,
  seq,
  senderId: from,
  to,
  text: `s${seq}`,
  time: '2026-01-01 00:00:00',
  senderName: `user${from}`,
});

describe('DeliveryService ordering', () => {
  let bus: InProcessMessageBus;
  let db: FakeMessages;
  let delivery: DeliveryService;
  let socket: FakeSocket;
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  beforeEach(async () => {
    jest.useFakeTimers();
    bus = new InProcessMessageBus();
    db = new FakeMessages();
    const users = { find: (id: number) => Promise.resolve({ id, name: `user${id}` }) } as unknown as UserDirectory;
    const marker = { mark: () => undefined, settled: () => Promise.resolve() } as unknown as DeliveredMarker;
    delivery = new DeliveryService(bus, db as unknown as MessageRepository, users, marker, new ChatMetrics());
    delivery.onModuleInit();
    socket = new FakeSocket('test/1', 2);
    await delivery.attach(socket);
  });
  afterEach(() => jest.useRealTimers());

  const publish = (m: BusMessage) => {
    db.rows.push(m);
    return bus.publish([m.to, m.senderId], m);
  };
  const texts = () => socket.frames.map((f) => f.text);

  it('delivers in-order messages at once', async () => {
    for (const s of [1, 2, 3]) await publish(message(s));
    expect(texts()).toEqual(['s1', 's2', 's3']);
  });

  it('holds a message that skipped a position until the missing one arrives', async () => {
    await publish(message(1));
    const third = message(3);
    db.rows.push(message(2)); // stored, still in flight on the bus
    await bus.publish([2], third);
    expect(texts()).toEqual(['s1']);
    await bus.publish([2], message(2));
    expect(texts()).toEqual(['s1', 's2', 's3']);
  });

  it('reads a gap the bus lost from the database, then releases what was held', async () => {
    await publish(message(1));
    db.rows.push(message(2), message(3)); // lost while the bus was away
    await publish(message(4));
    expect(texts()).toEqual(['s1']);
    jest.advanceTimersByTime(GAP_WAIT_MS);
    await flush();
    expect(texts()).toEqual(['s1', 's2', 's3', 's4']);
  });

  it("treats the socket's own sends as positions it has, never echoing them", async () => {
    await publish(message(1));
    const own: StoredMessage = { id: 102, seq: 2, senderId: 2, to: 1, text: 'mine', time: 't' };
    db.rows.push({ ...own });
    await publish(message(3)); // the reply overtook our own ack
    expect(texts()).toEqual(['s1']);
    delivery.noteSent(socket, own);
    expect(texts()).toEqual(['s1', 's3']);
    jest.advanceTimersByTime(GAP_WAIT_MS);
    await flush();
    expect(texts()).toEqual(['s1', 's3']);
  });

  it('delivers each id once, and a late message rather than losing it', async () => {
    await publish(message(2));
    await bus.publish([2], message(2));
    expect(texts()).toEqual(['s2']);
    await bus.publish([2], message(1));
    expect(texts()).toEqual(['s2', 's1']);
  });

  it('keeps conversations independent', async () => {
    await publish(message(1, 1, 2));
    await publish(message(5, 3, 2)); // first message seen from user 3: its own baseline
    await publish(message(2, 1, 2));
    expect(texts()).toEqual(['s1', 's5', 's2']);
  });

  it('pushes the offline backlog at attach, skipping ordering', async () => {
    const other = new FakeSocket('test/2', 7);
    db.rows.push(message(4, 1, 7), message(9, 1, 7));
    db.pending = new Set([104, 109]);
    await delivery.attach(other);
    expect(other.frames.map((f) => f.text)).toEqual(['s4', 's9']);
  });
});
