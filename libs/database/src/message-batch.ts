// The arithmetic of storing a batch of messages, apart from any SQL: which items are repeats of
// an earlier item of the same batch, how far each conversation's counter moves, the position each
// new message gets relative to the counter's new value, and what each conversation member's row
// gains. Both batch writers (one round trip on MariaDB, step by step elsewhere) share it.

export interface NewMessage {
  senderId: number;
  to: number;
  text: string;
  /** Receive time as the legacy wall-clock string. */
  time: string;
  clientMsgId?: string;
}

export interface StoredMessage {
  id: number;
  senderId: number;
  to: number;
  text: string;
  time: string;
  /** Position in its conversation, 1-based (rows the old server wrote get theirs by migration). */
  seq?: number;
  clientMsgId?: string;
}

export type StoreResult =
  /** Written by this batch. */
  | { status: 'stored'; message: StoredMessage }
  /**
   * The sender's clientMsgId was stored before (or earlier in this batch): nothing new was
   * written; `message` is the stored one, which may differ from what was sent this time.
   */
  | { status: 'duplicate'; message: StoredMessage };

/** `lo:hi` of a conversation: the pair of its users, smaller id first. */
export const pairKey = (a: number, b: number): string => (a < b ? `${a}:${b}` : `${b}:${a}`);
export const idempotencyKey = (senderId: number, clientMsgId: string): string => `${senderId}:${clientMsgId}`;

/** A new message placed in its conversation: seq = the counter's value after the batch - back. */
export interface PlacedMessage {
  index: number;
  item: NewMessage;
  lo: number;
  hi: number;
  /** How many new messages of the same conversation come after this one in the batch. */
  back: number;
}

/** What one member's conversation_member row gains from the batch. */
export interface MemberDelta {
  userId: number;
  friendId: number;
  lo: number;
  hi: number;
  /** Messages of the batch to this member (from the friend). */
  received: number;
  /** `back` of the last of them (its seq = counter after - receivedBack); meaningless when received is 0. */
  receivedBack: number;
  /** `back` of the first of them; meaningless when received is 0. */
  firstReceivedBack: number;
}

export interface BatchPlan {
  /** First occurrences of each key that are not known to be stored already, in arrival order. */
  placed: PlacedMessage[];
  /** Counter moves: conversation pair and how many positions it takes. */
  shares: { lo: number; hi: number; count: number }[];
  members: MemberDelta[];
  /** Items answered by an earlier item of this batch with the same key: index -> that item's index. */
  repeats: Map<number, number>;
  /** Items answered by a row stored before: index -> that row. */
  known: Map<number, StoredMessage>;
}

/**
 * Plans a batch. `existing` holds rows already stored under some of the items' keys (found by a
 * lookup before writing); those items are answered with them and take no position.
 */
export function planBatch(items: readonly NewMessage[], existing: ReadonlyMap<string, StoredMessage> = new Map()): BatchPlan {
  const known = new Map<number, StoredMessage>();
  const repeats = new Map<number, number>();
  const firstOfKey = new Map<string, number>();
  const fresh: { index: number; item: NewMessage }[] = [];
  items.forEach((item, index) => {
    if (item.senderId === item.to) throw new Error('a message to its own sender has no conversation');
    if (item.clientMsgId !== undefined) {
      const key = idempotencyKey(item.senderId, item.clientMsgId);
      const stored = existing.get(key);
      if (stored) return void known.set(index, stored);
      const first = firstOfKey.get(key);
      if (first !== undefined) return void repeats.set(index, first);
      firstOfKey.set(key, index);
    }
    fresh.push({ index, item });
  });

  const byPair = new Map<string, { lo: number; hi: number; items: { index: number; item: NewMessage }[] }>();
  for (const f of fresh) {
    const lo = Math.min(f.item.senderId, f.item.to);
    const hi = Math.max(f.item.senderId, f.item.to);
    const key = `${lo}:${hi}`;
    let group = byPair.get(key);
    if (!group) byPair.set(key, (group = { lo, hi, items: [] }));
    group.items.push(f);
  }

  const placedByIndex = new Map<number, PlacedMessage>();
  const shares: BatchPlan['shares'] = [];
  const members: MemberDelta[] = [];
  // Counters are locked in the order of their unique index (user_lo, user_hi), so concurrent
  // batches over the same conversations cannot deadlock.
  const groups = [...byPair.values()].sort((x, y) => x.lo - y.lo || x.hi - y.hi);
  for (const group of groups) {
    const n = group.items.length;
    shares.push({ lo: group.lo, hi: group.hi, count: n });
    const lastTo = new Map<number, number>();
    const firstTo = new Map<number, number>();
    const receivedTo = new Map<number, number>();
    group.items.forEach(({ index, item }, k) => {
      const back = n - 1 - k;
      placedByIndex.set(index, { index, item, lo: group.lo, hi: group.hi, back });
      lastTo.set(item.to, back);
      if (!firstTo.has(item.to)) firstTo.set(item.to, back);
      receivedTo.set(item.to, (receivedTo.get(item.to) ?? 0) + 1);
    });
    for (const [userId, friendId] of [
      [group.lo, group.hi],
      [group.hi, group.lo],
    ]) {
      members.push({
        userId,
        friendId,
        lo: group.lo,
        hi: group.hi,
        received: receivedTo.get(userId) ?? 0,
        receivedBack: lastTo.get(userId) ?? 0,
        firstReceivedBack: firstTo.get(userId) ?? 0,
      });
    }
  }
  // Arrival order: the insert writes rows (and so ids) in the order the messages came.
  const placed = fresh.map((f) => placedByIndex.get(f.index)!);
  // Member rows in primary-key order (user_id, friend_id), the order every other statement that
  // updates several of them (delivered positions) locks them in: no deadlock between them.
  members.sort((x, y) => x.userId - y.userId || x.friendId - y.friendId);
  return { placed, shares, members, repeats, known };
}

/** Stored rows of the new messages, by item index, from the rows a writer got back. */
export function matchInserted(
  plan: BatchPlan,
  rows: readonly { id: number; sender: number; to: number; seq: number }[],
): Map<number, StoredMessage> {
  // Within one conversation, rows sorted by position are the batch's items in arrival order.
  const rowsByPair = new Map<string, { id: number; seq: number }[]>();
  for (const r of rows) {
    const key = pairKey(Number(r.sender), Number(r.to));
    let list = rowsByPair.get(key);
    if (!list) rowsByPair.set(key, (list = []));
    list.push({ id: Number(r.id), seq: Number(r.seq) });
  }
  for (const list of rowsByPair.values()) list.sort((a, b) => a.seq - b.seq);
  const itemsByPair = new Map<string, PlacedMessage[]>();
  for (const p of plan.placed) {
    const key = `${p.lo}:${p.hi}`;
    let list = itemsByPair.get(key);
    if (!list) itemsByPair.set(key, (list = []));
    list.push(p);
  }
  const out = new Map<number, StoredMessage>();
  for (const [key, placed] of itemsByPair) {
    const list = rowsByPair.get(key) ?? [];
    if (list.length !== placed.length) throw new Error(`conversation ${key}: ${placed.length} message(s) written, ${list.length} row(s) back`);
    placed.forEach((p, k) => out.set(p.index, toStoredMessage(p.item, list[k].id, list[k].seq)));
  }
  return out;
}

export function toStoredMessage(item: NewMessage, id: number, seq: number): StoredMessage {
  const m: StoredMessage = { id, senderId: item.senderId, to: item.to, text: item.text, time: item.time, seq };
  if (item.clientMsgId !== undefined) m.clientMsgId = item.clientMsgId;
  return m;
}

/** The answer for every item, in order, once the new messages are stored. */
export function batchResults(items: readonly NewMessage[], plan: BatchPlan, inserted: ReadonlyMap<number, StoredMessage>): StoreResult[] {
  return items.map((_, index) => {
    const own = inserted.get(index);
    if (own) return { status: 'stored', message: own };
    const known = plan.known.get(index);
    if (known) return { status: 'duplicate', message: known };
    const first = plan.repeats.get(index);
    const firstRow = first === undefined ? undefined : inserted.get(first) ?? plan.known.get(first);
    if (!firstRow) throw new Error(`item ${index} of the batch has no stored row`);
    return { status: 'duplicate', message: firstRow };
  });
}

/**
 * The push outbox's share of a batch (CONTRACT section 5): one job per recipient and friend, due
 * `delayMs` after `now`. A job still gathering (not yet claimed by a worker) takes the batch's
 * messages into its count instead, so a burst becomes one notification.
 */
export interface OutboxPlan {
  now: number;
  dueAt: number;
  recipients: MemberDelta[];
}

export function planOutbox(plan: BatchPlan, delayMs: number, now = Date.now()): OutboxPlan | undefined {
  const recipients = plan.members.filter((m) => m.received > 0);
  return recipients.length ? { now, dueAt: now + delayMs, recipients } : undefined;
}
