import type { WireMessage } from '../protocol/frames';

// One conversation as the client shows it, and every change to it as a pure function: messages
// confirmed by the server (each once, by id, in conversation order) followed by the user's own
// messages still waiting for their ack, and the protocol v2 positions: how far this user has read,
// how far the friend's devices have received and read (the ticks), and whether the friend types.

export type MessageStatus = 'sending' | 'sent' | 'failed' | 'received';

export interface ChatMessage {
  /** Stable across the ack, so the view keeps the same element. */
  key: string;
  id?: number;
  seq?: number;
  clientMsgId?: string;
  senderId: number;
  to: number;
  sender: string;
  text: string;
  time?: string;
  status: MessageStatus;
  error?: string;
  retryable?: boolean;
}

export interface ConversationState {
  me: number;
  friendId: number;
  friendName: string;
  messages: ChatMessage[];
  history: 'loading' | 'loaded' | 'error';
  hasOlder: boolean;
  loadingOlder: boolean;
  /**
   * The newest id the server itself has shown us (history, catch-up, live frames), never an
   * ack's: per conversation frames arrive in storage order, so nothing older than this was
   * missed; an ack can name a message newer than some we have not seen yet.
   */
  syncedId?: number;
  /** How far this user has read (a seq; reported as messages come into view). */
  readSeq: number;
  /** How far a device of the friend has received (`delivered` frames). */
  deliveredSeq: number;
  /** How far the friend has read (the list's friendReadSeq, then `read` frames). */
  friendReadSeq: number;
  /** The friend's last `typing` frame expires then (epoch ms). */
  typingUntil?: number;
  error?: string;
}

export type Tick = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

export function initialConversation(me: number, friendId: number, friendName?: string): ConversationState {
  return {
    me,
    friendId,
    friendName: friendName ?? `User ${friendId}`,
    messages: [],
    history: 'loading',
    hasOlder: false,
    loadingOlder: false,
    readSeq: 0,
    deliveredSeq: 0,
    friendReadSeq: 0,
  };
}

const isConfirmed = (m: ChatMessage): boolean => m.id !== undefined;
const byId = (a: ChatMessage, b: ChatMessage): number => (a.id ?? 0) - (b.id ?? 0);

function ordered(messages: ChatMessage[]): ChatMessage[] {
  return [...messages.filter(isConfirmed).sort(byId), ...messages.filter((m) => !isConfirmed(m))];
}

/** Messages from the server (history, catch-up, live frames): each id once, whatever the source. */
export function mergeServerMessages(state: ConversationState, items: WireMessage[]): ConversationState {
  const known = new Set(state.messages.flatMap((m) => (m.id === undefined ? [] : [m.id])));
  const added: ChatMessage[] = [];
  let friendName = state.friendName;
  let syncedId = state.syncedId;
  for (const item of items) {
    if (item.id !== undefined && (syncedId === undefined || item.id > syncedId)) syncedId = item.id;
    if (item.id === undefined || known.has(item.id)) continue;
    known.add(item.id);
    const mine = item.senderId === state.me;
    if (!mine && item.sender) friendName = item.sender;
    added.push({
      key: `m${item.id}`,
      id: item.id,
      ...(item.seq !== undefined ? { seq: item.seq } : {}),
      ...(item.clientMsgId !== undefined ? { clientMsgId: item.clientMsgId } : {}),
      senderId: item.senderId ?? (mine ? state.me : state.friendId),
      to: item.to ?? (mine ? state.friendId : state.me),
      sender: item.sender,
      text: item.text,
      time: item.time,
      status: mine ? 'sent' : 'received',
    });
  }
  if (!added.length && friendName === state.friendName && syncedId === state.syncedId) return state;
  return { ...state, friendName, syncedId, messages: ordered([...state.messages, ...added]) };
}

/** The user's own message, shown at once and kept until the server acknowledges it. */
export function addPending(state: ConversationState, pending: { clientMsgId: string; text: string; sender: string }): ConversationState {
  const message: ChatMessage = {
    key: pending.clientMsgId,
    clientMsgId: pending.clientMsgId,
    senderId: state.me,
    to: state.friendId,
    sender: pending.sender,
    text: pending.text,
    status: 'sending',
  };
  return { ...state, messages: [...state.messages, message] };
}

const pendingIndex = (state: ConversationState, clientMsgId: string): number =>
  state.messages.findIndex((m) => m.clientMsgId === clientMsgId && m.id === undefined);

/**
 * The ack of a pending message. When the server already showed it under that id (a catch-up
 * read it before a retried frame was acked), the pending copy goes: one message, never two.
 */
export function applyAck(state: ConversationState, ack: { clientMsgId: string; id: number; time: string; seq?: number }): ConversationState {
  const i = pendingIndex(state, ack.clientMsgId);
  if (i < 0) return state;
  const pending = state.messages[i];
  const rest = state.messages.filter((_, j) => j !== i);
  const existing = rest.findIndex((m) => m.id === ack.id);
  if (existing >= 0) {
    rest[existing] = { ...rest[existing], key: pending.key, clientMsgId: ack.clientMsgId, status: 'sent' };
    return { ...state, messages: rest };
  }
  const sent: ChatMessage = {
    ...pending,
    id: ack.id,
    time: ack.time || pending.time,
    status: 'sent',
    ...(ack.seq !== undefined ? { seq: ack.seq } : {}),
  };
  delete sent.error;
  delete sent.retryable;
  return { ...state, messages: ordered([...rest, sent]) };
}

export function markFailed(state: ConversationState, clientMsgId: string, reason: string, retryable: boolean): ConversationState {
  return updatePending(state, clientMsgId, (m) => ({ ...m, status: 'failed', error: reason, retryable }));
}

export function markSending(state: ConversationState, clientMsgId: string): ConversationState {
  return updatePending(state, clientMsgId, (m) => {
    const next: ChatMessage = { ...m, status: 'sending' };
    delete next.error;
    delete next.retryable;
    return next;
  });
}

export function removePending(state: ConversationState, clientMsgId: string): ConversationState {
  const i = pendingIndex(state, clientMsgId);
  return i < 0 ? state : { ...state, messages: state.messages.filter((_, j) => j !== i) };
}

function updatePending(state: ConversationState, clientMsgId: string, change: (m: ChatMessage) => ChatMessage): ConversationState {
  const i = pendingIndex(state, clientMsgId);
  if (i < 0) return state;
  const messages = [...state.messages];
  messages[i] = change(messages[i]);
  return { ...state, messages };
}

/** Where a catch-up starts (`afterId`): see `syncedId`. */
export function catchUpFrom(state: ConversationState): number {
  return state.syncedId ?? 0;
}

/** The oldest message shown: where scrolling back continues (`beforeId`). */
export function oldestId(state: ConversationState): number | undefined {
  let min: number | undefined;
  for (const m of state.messages) if (m.id !== undefined && (min === undefined || m.id < min)) min = m.id;
  return min;
}

/** The tick of one's own message: read implies delivered; without a seq (an old server) only sent. */
export function tickOf(state: ConversationState, m: ChatMessage): Tick {
  if (m.status !== 'sent') return m.status === 'received' ? 'sent' : m.status;
  if (m.seq === undefined) return 'sent';
  if (m.seq <= state.friendReadSeq) return 'read';
  if (m.seq <= state.deliveredSeq) return 'delivered';
  return 'sent';
}

/** Positions only move forward: a late or repeated receipt changes nothing. */
export function receiptsMoved(state: ConversationState, p: { readSeq?: number; deliveredSeq?: number; friendReadSeq?: number }): ConversationState {
  const readSeq = Math.max(state.readSeq, p.readSeq ?? 0);
  const deliveredSeq = Math.max(state.deliveredSeq, p.deliveredSeq ?? 0, p.friendReadSeq ?? 0);
  const friendReadSeq = Math.max(state.friendReadSeq, p.friendReadSeq ?? 0);
  if (readSeq === state.readSeq && deliveredSeq === state.deliveredSeq && friendReadSeq === state.friendReadSeq) return state;
  return { ...state, readSeq, deliveredSeq, friendReadSeq };
}

export function friendTyping(state: ConversationState, now: number, expiresMs: number): ConversationState {
  return { ...state, typingUntil: now + expiresMs };
}

export function isTyping(state: ConversationState, now: number): boolean {
  return state.typingUntil !== undefined && now < state.typingUntil;
}

/** The friend's messages above `seq` that this conversation holds (what is left unread after reading up to it). */
export function unreadAbove(state: ConversationState, seq: number): number {
  return state.messages.filter((m) => m.senderId === state.friendId && m.seq !== undefined && m.seq > seq).length;
}

/** The newest position the conversation holds (a read of it clears everything). */
export function newestSeq(state: ConversationState): number {
  let max = 0;
  for (const m of state.messages) if (m.seq !== undefined && m.seq > max) max = m.seq;
  return max;
}
