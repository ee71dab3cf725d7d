import type { WireMessage } from '../protocol/frames';
import type { ConversationPage, ConversationSummary } from '../protocol/http-api';

// The home screen's conversation list (get_Conversation_List.do, protocol v2) and every change to
// it as a pure function. The server's answer is the truth; live frames move it on in between:
// a message from the friend above the listed last position counts once as unread, a `read` of
// this user's (another tab) clears the badge, a `read` of the friend's moves the read tick.

export interface ConversationListState {
  me: number;
  /** Most recent first (by the id of the last message). */
  items: ConversationSummary[];
  status: 'idle' | 'loading' | 'loaded' | 'error';
  nextCursor: string | null;
  loadingMore: boolean;
  /** Unread in conversations on pages not loaded yet (the server's total minus the loaded pages'). */
  unreadElsewhere: number;
  /** A change the client cannot count exactly happened: read the list again. */
  stale: boolean;
  error?: string;
}

export function initialList(me: number): ConversationListState {
  return { me, items: [], status: 'idle', nextCursor: null, loadingMore: false, unreadElsewhere: 0, stale: false };
}

const lastId = (c: ConversationSummary): number => c.lastMessage?.id ?? 0;
const lastSeq = (c: ConversationSummary): number => c.lastMessage?.seq ?? 0;
const newestFirst = (a: ConversationSummary, b: ConversationSummary): number => lastId(b) - lastId(a);
const sumUnread = (items: ConversationSummary[]): number => items.reduce((n, c) => n + c.unread, 0);

/**
 * The first page, read again (after a connect, on focus, when stale). A conversation that moved
 * on live while the request was out (its last position above the answer's) keeps what the frames
 * made of it, and so does a read of this tab's not yet on the server (the server does not echo a
 * read to the socket that sent it); one the answer does not hold stays only if it came live
 * after the answer's newest.
 */
export function listLoaded(state: ConversationListState, page: ConversationPage): ConversationListState {
  const local = new Map(state.items.map((c) => [c.friendId, c]));
  const items = page.list.map((c) => {
    const mine = local.get(c.friendId);
    if (!mine) return c;
    if (lastSeq(mine) > lastSeq(c)) return mine;
    const friendReadSeq = Math.max(mine.friendReadSeq, c.friendReadSeq);
    if (mine.readSeq <= c.readSeq) return { ...c, friendReadSeq };
    // Read further here: the local count holds for the same last message, the server's (higher) otherwise.
    const unread = mine.readSeq >= lastSeq(c) ? 0 : lastSeq(mine) === lastSeq(c) ? mine.unread : c.unread;
    return { ...c, readSeq: mine.readSeq, friendReadSeq, unread };
  });
  const newest = page.list.length ? lastId(page.list[0]) : 0;
  const listed = new Set(page.list.map((c) => c.friendId));
  for (const c of state.items) if (!listed.has(c.friendId) && lastId(c) > newest) items.push(c);
  return {
    ...state,
    items: items.sort(newestFirst),
    status: 'loaded',
    nextCursor: page.nextCursor,
    unreadElsewhere: Math.max(0, page.totalUnread - sumUnread(page.list)),
    stale: false,
    error: undefined,
  };
}

/** A later page (`cursor`): appended, each conversation once. */
export function listPageAppended(state: ConversationListState, page: ConversationPage): ConversationListState {
  const known = new Set(state.items.map((c) => c.friendId));
  const added = page.list.filter((c) => !known.has(c.friendId));
  return {
    ...state,
    items: [...state.items, ...added],
    nextCursor: page.nextCursor,
    loadingMore: false,
    unreadElsewhere: Math.max(0, state.unreadElsewhere - sumUnread(added)),
  };
}

/** A message of this user's, live or acked: the conversation moves to the top with it as its last message. */
export function listMessage(state: ConversationListState, m: Required<Pick<WireMessage, 'id' | 'seq' | 'senderId' | 'to'>> & WireMessage, friendName?: string): ConversationListState {
  const mine = m.senderId === state.me;
  const friendId = mine ? m.to : m.senderId;
  const old = state.items.find((c) => c.friendId === friendId);
  if (old && lastSeq(old) >= m.seq) return state; // counted already (the list or an earlier frame)
  const unreadNow = !mine && m.seq > (old?.readSeq ?? 0);
  const entry: ConversationSummary = {
    friendId,
    friendName: !mine && m.sender ? m.sender : (old?.friendName ?? friendName ?? `User ${friendId}`),
    ...(old?.friendImg ? { friendImg: old.friendImg } : {}),
    // As the server counts: one's own message moves no read position.
    unread: (old?.unread ?? 0) + (unreadNow ? 1 : 0),
    readSeq: old?.readSeq ?? 0,
    friendReadSeq: old?.friendReadSeq ?? 0,
    lastMessage: { id: m.id, seq: m.seq, senderId: m.senderId, sender: m.sender, text: m.text, time: m.time },
  };
  return { ...state, items: [entry, ...state.items.filter((c) => c.friendId !== friendId)].sort(newestFirst) };
}

/**
 * This user has read the conversation up to `seq` (this tab, or another one's `read` frame).
 * `unread`, when the caller can count what is left (the open conversation's messages), is taken;
 * otherwise a read up to the last message clears the badge and a read short of it marks the
 * list stale (only the server can count what is left).
 */
export function listReadByMe(state: ConversationListState, friendId: number, seq: number, unread?: number): ConversationListState {
  const old = state.items.find((c) => c.friendId === friendId);
  if (!old || seq <= old.readSeq) return state;
  const left = seq >= lastSeq(old) ? 0 : unread;
  const entry: ConversationSummary = { ...old, readSeq: seq, unread: left ?? old.unread };
  return { ...state, items: state.items.map((c) => (c === old ? entry : c)), stale: state.stale || left === undefined };
}

/** The friend has read up to `seq`: the read ticks. */
export function listReadByFriend(state: ConversationListState, friendId: number, seq: number): ConversationListState {
  const old = state.items.find((c) => c.friendId === friendId);
  if (!old || seq <= old.friendReadSeq) return state;
  return { ...state, items: state.items.map((c) => (c === old ? { ...old, friendReadSeq: seq } : c)) };
}

export function totalUnread(state: ConversationListState): number {
  return state.unreadElsewhere + sumUnread(state.items);
}
