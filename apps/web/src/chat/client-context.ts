// What the parts of the chat client share: the stores the views read, the signed-in user, and the
// socket's send. The facade (chat-client.ts) builds one and hands it to each part.

import type { ConnectionState } from '../protocol/connection';
import type { HttpApi } from '../protocol/http-api';
import type { ConversationListState } from '../store/conversation-list.state';
import type { ConversationState } from '../store/conversation.state';
import type { Store } from '../store/store';

/** Messages that came for a conversation other than the open one, since this tab started. */
export interface Notice {
  friendId: number;
  name: string;
  count: number;
}

export interface ClientState {
  connection: ConnectionState;
  openFriendId: number | null;
  notices: Notice[];
  /** The server zone's offset from UTC (its times carry none): learned from acks. */
  serverOffsetMinutes: number;
  /** The last refusal that belongs to no message (shown once, then cleared by the view). */
  problem?: string;
}

export interface ClientContext {
  readonly api: HttpApi;
  readonly state: Store<ClientState>;
  /** The conversation list (protocol v2): unread badges, last messages, read ticks. */
  readonly list: Store<ConversationListState>;
  /** The conversations opened in this tab, by friend. */
  readonly conversations: Map<number, Store<ConversationState>>;
  readonly me: number;
  readonly myName: string;
  token(): string;
  now(): number;
  /** Whether the socket is open with protocol v2 (receipts, typing). */
  v2(): boolean;
  /** Sends a frame; false when the socket is not open. */
  send(raw: string): boolean;
}

export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
